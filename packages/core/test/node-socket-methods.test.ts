import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { NodeExchange } from '../src/http/node-exchange.js'
import { shareSocketListenerWrappers } from '../src/http/node-socket-methods.js'

const servers: Server[] = []
const clients: Socket[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A server whose every request is answered with an event stream through a `NodeExchange`; `held` receives each request. */
async function streamingServer(held: (request: IncomingMessage, response: ServerResponse) => void): Promise<number> {
  const server = createServer((request, response) => {
    new NodeExchange(request, response).stream(200, { 'content-type': 'text/event-stream' }).write('data: first\n\n')
    held(request, response)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A raw client that sends `request` and resolves with everything it received once `enough` holds (within 5 s). */
function rawClient(port: number, request: string): { socket: Socket; until(enough: (text: string) => boolean): Promise<string> } {
  const socket = connect(port, '127.0.0.1', () => socket.write(request))
  clients.push(socket)
  let text = ''
  const waiting: Array<() => void> = []
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    text += chunk
    for (const wake of waiting.splice(0)) wake()
  })
  return {
    socket,
    until(enough) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not within 5 s; received ${JSON.stringify(text)}`)), 5000)
        const check = (): void => {
          if (!enough(text)) return void waiting.push(check)
          clearTimeout(timer)
          resolve(text)
        }
        check()
      })
    },
  }
}

const GET = 'GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'

describe('the listener-method wrappers of a held stream’s socket', () => {
  it('are one set shared by every socket, which still lets a data listener added later see what arrives', async () => {
    const requests: IncomingMessage[] = []
    const port = await streamingServer((request) => requests.push(request))
    const first = rawClient(port, GET)
    const second = rawClient(port, GET)
    await first.until((text) => text.includes('data: first'))
    await second.until((text) => text.includes('data: first'))
    const [a, b] = requests.map((request) => request.socket) as [Socket, Socket]
    for (const name of ['on', 'addListener', 'prependListener'] as const) {
      expect(a[name].name).toBe('socketListenerWrap')
      expect(a[name]).toBe(b[name])
    }
    // The shared wrapper stops the parser from consuming the socket natively, as its own did: the listener sees the bytes.
    const seen: string[] = []
    a.on('data', (chunk: Buffer) => seen.push(String(chunk)))
    first.socket.write('GET /after HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    const deadline = Date.now() + 5000
    while (!seen.join('').includes('GET /after') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(seen.join('')).toContain('GET /after')
    // And the pipelined request is served once the stream ends.
    ;(requests[0]?.socket as Socket & { _httpMessage: ServerResponse })._httpMessage.end('data: last\n\n')
    await first.until((text) => (text.match(/data: first/g) ?? []).length === 2)
    expect(requests).toHaveLength(3)
  })

  it('are left as they are when they are not Node.js’s own', () => {
    const own = function socketListenerWrap(): number {
      return 1
    }
    const other = { on: own, addListener: own, prependListener: own }
    shareSocketListenerWrappers(other)
    expect(other.on).toBe(own)
    const partly = { on: own, addListener: () => 2, prependListener: own }
    shareSocketListenerWrappers(partly)
    expect(partly.on).toBe(own)
    expect(() => shareSocketListenerWrappers(null)).not.toThrow()
    expect(() => shareSocketListenerWrappers({})).not.toThrow()
  })
})
