import { startPresenceServer } from './presence-server.js'

const server = await startPresenceServer({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
  logger: { debug() {}, info: console.log, warn: console.warn, error: console.error },
})
console.log(`Who's-online example running at ${server.url}`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
}
