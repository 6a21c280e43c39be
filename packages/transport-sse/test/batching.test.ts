import { RealtimeServer } from '@org/realtime-server'
import { sseTransport } from '@org/realtime-transport-sse/server'
import { describe, expect, it } from 'vitest'
import { once } from '../../../test/support.js'

const decoder = new TextDecoder()

/** Opens a session through `send`, says hello, and returns the connection with the stream's reader past `welcome`. */
async function openSession(rt: RealtimeServer, send: (input: string, init?: RequestInit) => Promise<Response>, base: string) {
  const response = await send(`${base}?transport=sse`)
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  let text = decoder.decode((await reader.read()).value)
  const { sid, key } = JSON.parse(/event: session\ndata: (\S+)/.exec(text)![1]!) as { sid: string; key: string }
  const connected = once(rt, 'connection')
  await send(`${base}?transport=sse&sid=${sid}`, { method: 'POST', body: '{"t":"hello","v":1}', headers: { 'x-realtime-key': key } })
  const conn = await connected
  while (!text.includes('"t":"welcome"')) text += decoder.decode((await reader.read()).value)
  return { conn, reader }
}

describe('SSE event batching', () => {
  it('hands a fetch-API reader the events of one turn in one chunk, numbered in order', async () => {
    const rt = new RealtimeServer({ transports: [sseTransport()] })
    const send = (input: string, init?: RequestInit) => rt.handleRequest(new Request(input, init))
    try {
      const { conn, reader } = await openSession(rt, send, 'http://app.example/realtime')
      for (let n = 1; n <= 3; n++) conn.emit('n', n)
      const chunk = decoder.decode((await reader.read()).value)
      expect(chunk).toBe(
        [1, 2, 3].map((n) => `id: ${n + 1}\ndata: {"t":"event","e":"n","d":${n}}\n\n`).join(''),
      )
      await reader.cancel()
    } finally {
      await rt.close()
    }
  })

  it('writes the frames sent before a close ahead of the close event, then ends the stream', async () => {
    const rt = new RealtimeServer({ transports: [sseTransport()] })
    const port = await rt.listen(0, { host: '127.0.0.1' })
    try {
      const { conn, reader } = await openSession(rt, fetch, `http://127.0.0.1:${port}/realtime`)
      conn.emit('n', 1)
      conn.emit('n', 2)
      conn.disconnect()
      let text = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        text += decoder.decode(value, { stream: true })
      }
      expect(text).toBe(
        'id: 2\ndata: {"t":"event","e":"n","d":1}\n\nid: 3\ndata: {"t":"event","e":"n","d":2}\n\nevent: close\ndata: {"code":1000,"reason":""}\n\n',
      )
    } finally {
      await rt.close()
    }
  })

  it('counts events a client does not read in bufferedAmount and drops it past maxBufferedBytes', async () => {
    const rt = new RealtimeServer({ transports: [sseTransport()], maxBufferedBytes: 65_536 })
    const send = (input: string, init?: RequestInit) => rt.handleRequest(new Request(input, init))
    try {
      const { conn } = await openSession(rt, send, 'http://app.example/realtime')
      const closed = once(conn, 'disconnect')
      // The reader stops reading: everything sent from now on waits in the session.
      for (let n = 0; n < 100 && conn.connected; n++) conn.emit('n', 'x'.repeat(1000))
      await closed
      expect(conn.connected).toBe(false)
    } finally {
      await rt.close()
    }
  })
})
