import { it, expect } from 'vitest'
import { RawHttpPeer } from '../../../test/raw-http-peer.js'
import { startServer, connectedClient } from '../../../test/support.js'

for (const transport of ['polling', 'sse'] as const) {
  for (const size of [2000, 20_000, 140_000, 1_000_000]) {
    it(`${transport} oversized ${size}`, async () => {
      const { url, rt } = await startServer({ maxPayload: 16384 })
      rt.on('connection', (conn) => conn.on('echo', (d) => d))
      const peer = await RawHttpPeer.open(url, transport)
      await peer.handshake()
      const results: string[] = []
      try {
        const r = await peer.post('x'.repeat(size))
        results.push(`oversized: ${r.status} ${await r.text()}`)
      } catch (e) { results.push(`oversized: ${e} ${(e as any).cause}`) }
      results.push(`closed: ${JSON.stringify(await peer.closed)}`)
      for (let i = 0; i < 5; i++) {
        try {
          const r = await fetch(`${url}?transport=${transport}&sid=nope`, { method: 'POST', body: '{"t":"pong"}' })
          results.push(`next ${i}: ${r.status}`); await r.text()
        } catch (e) { results.push(`next ${i}: ${e} ${(e as any).cause}`) }
      }
      console.log(transport, size, results.join('\n  '))
    })
  }
}
