import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { RealtimeClient } from '@org/realtime-client'
import { RealtimeServer } from '@org/realtime-server'
import { pollingTransport as pollingClient } from '@org/realtime-transport-polling/client'
import { pollingTransport } from '@org/realtime-transport-polling/server'
import { sseTransport as sseClient } from '@org/realtime-transport-sse/client'
import { sseTransport } from '@org/realtime-transport-sse/server'
import { afterEach, describe, expect, it } from 'vitest'
import { fetchApiOnly, once } from '../../../test/support.js'

const servers: RealtimeServer[] = []
const clients: RealtimeClient[] = []
const httpServers: Server[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect()
  for (const rt of servers.splice(0)) await rt.close()
  for (const server of httpServers.splice(0)) await new Promise((resolve) => server.close(resolve))
})

/** Sends `request` on a raw socket and resolves with the first chunk that comes back (within 5 s). */
function firstChunk(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request))
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('no answer within 5 s'))
    }, 5000)
    socket.once('data', (chunk) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(String(chunk))
    })
    socket.once('error', reject)
  })
}

describe('HTTP transports on a Node.js server', () => {
  it('writes the head of an event stream, its session event and the welcome of a hello in the URL in one write', async () => {
    const rt = new RealtimeServer({ transports: [sseTransport()], logger: false })
    servers.push(rt)
    const httpServer = createServer()
    httpServers.push(httpServer)
    rt.attach(httpServer)
    // Every write of the server's sockets, as the stream API hands it to the socket (`_write`, `_writev`).
    const writes: string[] = []
    httpServer.on('connection', (socket: Socket & { _write: Socket['_write']; _writev?: Socket['_writev'] }) => {
      const write = socket._write.bind(socket)
      const writev = socket._writev!.bind(socket)
      socket._write = (chunk, encoding, callback) => (writes.push(String(chunk)), write(chunk, encoding, callback))
      socket._writev = (chunks, callback) => (writes.push(chunks.map(({ chunk }) => String(chunk)).join('')), writev(chunks, callback))
    })
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
    const { port } = httpServer.address() as AddressInfo
    const chunk = await firstChunk(port, 'GET /realtime?transport=sse&hello=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n')
    expect(chunk).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(writes).toHaveLength(1)
    expect(writes[0]).toContain('content-type: text/event-stream')
    expect(writes[0]).toContain('event: session')
    expect(writes[0]).toContain('"t":"welcome"')
  })

  it('writes the head and body of a long-poll answer together, with its length', async () => {
    const rt = new RealtimeServer({ transports: [pollingTransport()], logger: false })
    servers.push(rt)
    const port = await rt.listen(0, { host: '127.0.0.1' })
    const chunk = await firstChunk(port, 'GET /realtime?transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    const [head, body] = chunk.split('\r\n\r\n') as [string, string]
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(head).toContain(`content-length: ${Buffer.byteLength(body)}`)
    expect(JSON.parse(body)).toMatchObject({ sid: expect.stringMatching(/^polling_/) })
  })

  it.each([
    { name: 'sse', server: () => sseTransport(), client: () => sseClient() },
    { name: 'polling', server: () => pollingTransport({ holdMs: 2000 }), client: () => pollingClient() },
  ])('serves $name through the fetch-API path too, when a transport offers only that', async ({ server, client: clientTransport }) => {
    const rt = new RealtimeServer({ transports: [fetchApiOnly(server())], logger: false })
    servers.push(rt)
    rt.on('connection', (conn) => conn.on('echo', (data: unknown) => data))
    const port = await rt.listen(0, { host: '127.0.0.1' })
    const client = new RealtimeClient(`http://127.0.0.1:${port}/realtime`, { transports: [clientTransport()] })
    clients.push(client)
    await once(client.lifecycle, 'connect')
    for (let n = 0; n < 5; n++) await expect(client.emitWithAck('echo', { n })).resolves.toEqual({ n })
  })
})
