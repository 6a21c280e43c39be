import { stopOnSignals } from '@org/example-kit/stop-on-signals'
import { startAuthServer } from './auth-server.js'
import { createTokenClient } from './token-client.js'

const ttl = Number(process.env.TOKEN_TTL_SECONDS ?? 10)
const server = await startAuthServer({
  port: Number(process.env.PORT ?? 3002),
  host: process.env.HOST ?? '127.0.0.1',
  // Set JWT_SECRET (32 bytes or more) to keep tokens valid across restarts.
  secret: process.env.JWT_SECRET === undefined ? undefined : new TextEncoder().encode(process.env.JWT_SECRET),
  tokenTtlSeconds: ttl,
  logger: { debug() {}, info() {}, warn: console.warn, error: console.error },
})
console.log(`Auth example running at ${server.url} (POST ${server.url}token, realtime at ${server.url}realtime; tokens live ${ttl} s)`)

// A demo client on the same process: watch it renew its token while its session stays the same.
const time = (ms: number): string => new Date(ms).toLocaleTimeString()
const client = createTokenClient(server.url, 'ada', {
  onToken: ({ expiresAt }) => {
    const session = client.connected ? `session ${client.id} stays connected` : 'connecting'
    console.log(`demo client: fresh token for ada, expires ${time(expiresAt)}; ${session}`)
  },
})
client.lifecycle.on('connect', () => console.log(`demo client: connected as ada, session ${client.id}`))
client.lifecycle.on('disconnect', ({ code, willReconnect }) => console.log(`demo client: disconnected (${code}), reconnecting: ${willReconnect}`))
client.lifecycle.on('error', (error) => console.log(`demo client: ${error.code} ${error.message}`))
stopOnSignals(server, () => client.disconnect())
