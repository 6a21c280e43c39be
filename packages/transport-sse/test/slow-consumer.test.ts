import { CloseCode } from '@org/realtime-core'
import { RealtimeServer, type Connection } from '@org/realtime-server'
import { sseTransport as sseClient } from '@org/realtime-transport-sse/client'
import { sseTransport } from '@org/realtime-transport-sse/server'
import { describe, expect, it } from 'vitest'
import { CLOSE_TIMEOUT_MS, MAX_BUFFERED, attachedServer, floodUntilClosed, stalledReader } from '../../../test/attached-http-server.js'
import { fetchFrom } from '../../../test/fetch-from-address.js'
import { connectedClient, once, until } from '../../../test/support.js'


describe('a slow consumer over SSE', () => {
  it('cuts off the stream of a client that does not read within closeTimeoutMs of its 4503, while a bystander is served', async () => {
    const sse = sseTransport()
    const { rt, port, url, sockets } = await attachedServer({ transports: [sse], closeTimeoutMs: CLOSE_TIMEOUT_MS, maxBufferedBytes: MAX_BUFFERED })
    rt.on('connection', (conn) => conn.on('echo', (data) => data))
    const bystanderJoined = once<Connection>(rt, 'connection')
    const bystander = await connectedClient(url, { transports: [sseClient({ fetch: fetchFrom('127.0.0.2') })] })
    expect((await bystanderJoined).handshake.remoteAddress).toBe('127.0.0.2')
    const connected = once<Connection>(rt, 'connection')
    const { socket } = await stalledReader(port, 'GET /realtime?transport=sse&hello=1 HTTP/1.1', (text) => text.includes('"t":"welcome"'))
    const conn = await connected
    const disconnected = once<{ code: number }>(conn, 'disconnect')
    expect(floodUntilClosed(conn)).toBeLessThan(100)
    expect((await disconnected).code).toBe(CloseCode.SlowConsumer)
    const closedAt = performance.now()
    const serverSide = sockets.get(socket.localPort as number)
    expect(serverSide?.destroyed).toBe(false)
    await until(() => serverSide?.destroyed === true, CLOSE_TIMEOUT_MS + 1000, 'the stream to be cut off')
    expect(performance.now() - closedAt).toBeLessThan(CLOSE_TIMEOUT_MS + 500)
    // Only the bystander's session is left.
    expect(sse.sessionCount).toBe(1)
    await expect(bystander.emitWithAck('echo', 'still here', { timeoutMs: 1000 })).resolves.toBe('still here')
  })

  it('errors the stream of a fetch-API reader that does not read within closeTimeoutMs of its 4503, dropping its backlog', async () => {
    const rt = new RealtimeServer({ transports: [sseTransport()], closeTimeoutMs: 100, maxBufferedBytes: 1024 * 1024 })
    try {
      const connected = once<Connection>(rt, 'connection')
      const response = await rt.handleRequest(new Request('http://app.example/realtime?transport=sse&hello=1'))
      const reader = (response.body as ReadableStream<Uint8Array>).getReader()
      const conn = await connected
      const disconnected = once<{ code: number }>(conn, 'disconnect')
      expect(floodUntilClosed(conn)).toBeLessThan(100)
      expect((await disconnected).code).toBe(CloseCode.SlowConsumer)
      // Nothing announces the cut-off but the stream itself, which the reader has not read yet.
      await new Promise((resolve) => setTimeout(resolve, 250))
      await expect(reader.read()).rejects.toThrow('terminated')
    } finally {
      await rt.close()
    }
  })
})
