import type { Connection } from '@org/realtime-server'
import { sseTransport as sseClient } from '@org/realtime-transport-sse/client'
import { describe, expect, it } from 'vitest'
import { fetchFrom } from '../../../test/fetch-from-address.js'
import { createClient, once, startServer, until } from '../../../test/support.js'

/** Distinct opening URLs sent: more than the 256 the server shares one copy of (`shared-text.ts`). */
const OPENS = 300

describe('opening URLs shared between held streams', () => {
  it('keeps every URL of a flood of distinct ones as sent, and serves a bystander meanwhile', async () => {
    const { rt, url } = await startServer({ rateLimit: { handshakesPerSecondPerIp: 10_000, handshakeBurstPerIp: 10_000 } })
    const urls: string[] = []
    rt.on('connection', (conn: Connection) => {
      urls.push(conn.handshake.url)
      conn.on('echo', (data) => data)
    })
    const attacker = fetchFrom('127.0.0.1')
    const aborts: AbortController[] = []
    try {
      for (let n = 0; n < OPENS; n++) {
        const aborted = new AbortController()
        aborts.push(aborted)
        const response = await attacker(`${url}?transport=sse&hello=1&pad=${String(n).padStart(240, '0')}`, { signal: aborted.signal })
        expect(response.status).toBe(200)
      }
      await until(() => urls.length === OPENS, 10_000, 'every flooding stream connected')
      expect(urls.map((seen) => seen.slice(seen.indexOf('pad=') + 4))).toEqual(Array.from({ length: OPENS }, (_, n) => String(n).padStart(240, '0')))
      const bystander = createClient(url, { transports: [sseClient({ fetch: fetchFrom('127.0.0.2') })] })
      await once(bystander.lifecycle, 'connect')
      await expect(bystander.emitWithAck('echo', 'still served')).resolves.toBe('still served')
    } finally {
      for (const aborted of aborts) aborted.abort()
    }
  })
})
