import { stopOnSignals } from '@org/example-kit/stop-on-signals'
import { startNotificationsServer } from './notifications-server.js'

const server = await startNotificationsServer({
  port: Number(process.env.PORT ?? 3001),
  host: process.env.HOST ?? '127.0.0.1',
  tickerMs: Number(process.env.TICKER_MS ?? 5000),
  logger: { debug() {}, info: console.log, warn: console.warn, error: console.error },
})
console.log(`Notifications example running at ${server.url}`)
stopOnSignals(server)
