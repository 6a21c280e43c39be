import { stopOnSignals } from '@org/example-kit/stop-on-signals'
import { startPresenceServer } from './presence-server.js'

const server = await startPresenceServer({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
  logger: { debug() {}, info: console.log, warn: console.warn, error: console.error },
})
console.log(`Who's-online example running at ${server.url}`)
stopOnSignals(server)
