import { ErrorCode, type RealtimeError } from '@org/realtime-core'
import type { RealtimeClient } from '@org/realtime-client'
import { RealtimeServer, type Connection, type RealtimeServerOptions } from '@org/realtime-server'
import { pollingTransport as pollingClient } from '@org/realtime-transport-polling/client'
import { pollingTransport } from '@org/realtime-transport-polling/server'
import { sseTransport as sseClient } from '@org/realtime-transport-sse/client'
import { webSocketTransport as webSocketClient, type WebSocketClientTransportOptions } from '@org/realtime-transport-ws/client'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import WebSocket from 'ws'
import { RawSocket, collect, createClient, currentTransport, describeTransports, once, startServer, until } from '../../../test/support.js'
import { bystanderClient, expectServed } from './second-address.js'

/** A client of the current transport whose every request carries `X-Forwarded-For: forwardedFor`. */
function clientForwardedFor(url: string, forwardedFor: string): RealtimeClient {
  const withHeader: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers)
    headers.set('x-forwarded-for', forwardedFor)
    return fetch(input, { ...init, headers })
  }
  class ForwardedWebSocket extends WebSocket {
    constructor(address: string) {
      super(address, { headers: { 'x-forwarded-for': forwardedFor } })
    }
  }
  const name = currentTransport().name
  const transport =
    name === 'websocket'
      ? webSocketClient({ WebSocket: ForwardedWebSocket as unknown as WebSocketClientTransportOptions['WebSocket'] })
      : name === 'sse'
        ? sseClient({ EventSource: false, fetch: withHeader })
        : pollingClient({ fetch: withHeader })
  return createClient(url, { transports: [transport], reconnection: false })
}

/** A server with `options` and an echo handler, a bystander on 127.0.0.2, and the remote address of each connection. */
async function setup(options: RealtimeServerOptions<Record<string, any>>) {
  const server = await startServer({ authorize: () => true, ...options })
  const addresses: string[] = []
  server.rt.on('connection', (conn: Connection<Record<string, any>>) => {
    addresses.push(conn.handshake.remoteAddress)
    conn.on('echo', (data) => data)
  })
  const bystander = await bystanderClient(server.url)
  addresses.length = 0
  /** Connects with `forwardedFor` and resolves with the address the server saw. */
  const connectedAs = async (forwardedFor: string): Promise<string> => {
    const client = clientForwardedFor(server.url, forwardedFor)
    await once(client.lifecycle, 'connect')
    expect(addresses).toHaveLength(1)
    return addresses.pop()!
  }
  /** Connects with `forwardedFor` and resolves with the code it was refused with. */
  const refusedWith = async (forwardedFor: string): Promise<string> => {
    const client = clientForwardedFor(server.url, forwardedFor)
    const error: RealtimeError = await once(client.lifecycle, 'error')
    client.disconnect()
    return error.code
  }
  return { ...server, bystander, connectedAs, refusedWith }
}

describeTransports('trustProxy', () => {
  it('ignores a spoofed X-Forwarded-For by default: limits and remoteAddress are the real peer', async () => {
    const { bystander, connectedAs, refusedWith } = await setup({ rateLimit: { connectionsPerIp: 1 } })
    expect(await connectedAs('203.0.113.1')).toBe('127.0.0.1')
    expect(await refusedWith('203.0.113.2')).toBe(ErrorCode.LimitExceeded)
    await expectServed(bystander)
  })

  it('counts a request from a trusted proxy under the forwarded client address', async () => {
    const { bystander, connectedAs, refusedWith } = await setup({ trustProxy: ['10.0.0.0/8', '127.0.0.0/31'], rateLimit: { connectionsPerIp: 1 } })
    // The client put a spoofed entry first; the proxy appended the address it saw.
    expect(await connectedAs('198.51.100.66, 203.0.113.1')).toBe('203.0.113.1')
    expect(await connectedAs('203.0.113.2')).toBe('203.0.113.2')
    expect(await refusedWith('203.0.113.1')).toBe(ErrorCode.LimitExceeded)
    await expectServed(bystander)
  })

  it('counts a request from an untrusted peer under its own address, whatever its header says', async () => {
    const { bystander, connectedAs, refusedWith } = await setup({ trustProxy: ['10.0.0.0/8', '127.0.0.2'], rateLimit: { connectionsPerIp: 1 } })
    expect(await connectedAs('203.0.113.1')).toBe('127.0.0.1')
    expect(await refusedWith('203.0.113.2')).toBe(ErrorCode.LimitExceeded)
    await expectServed(bystander)
  })

  it('takes the entry that many hops from the right with a hop count', async () => {
    const { bystander, connectedAs } = await setup({ trustProxy: 2 })
    expect(await connectedAs('198.51.100.9, 203.0.113.4, 10.0.0.1')).toBe('203.0.113.4')
    expect(await connectedAs('10.0.0.1')).toBe('10.0.0.1')
    await expectServed(bystander)
  })

  it('reads at most 32 entries and 1 KB of a malformed or oversized X-Forwarded-For', async () => {
    const { bystander, connectedAs } = await setup({ trustProxy: ['127.0.0.1'] })
    expect(await connectedAs('not an address')).toBe('127.0.0.1')
    expect(await connectedAs('203.0.113.5:4711')).toBe('203.0.113.5')
    expect(await connectedAs('[2001:db8::1]:443')).toBe('2001:db8::1')
    // Past 32 trusted hops the walk stops: the spoofed address at the far left is never reached.
    expect(await connectedAs(`198.51.100.1, ${'127.0.0.1, '.repeat(40)}127.0.0.1`)).toBe('127.0.0.1')
    // Garbage to the left of what the proxy appended does not hide the client.
    expect(await connectedAs(`${'x'.repeat(8000)}, 203.0.113.6`)).toBe('203.0.113.6')
    // One oversized entry: nothing past the first 1 KB from the right is read.
    expect(await connectedAs(`${'9'.repeat(8000)}`)).toBe('127.0.0.1')
    await expectServed(bystander)
  })
})

describe('trustProxy and detachedSessionsPerIp', () => {
  /** Opens a resumable session over WebSocket with `X-Forwarded-For: forwardedFor`, then drops it; resolves once it is detached. */
  async function park(rt: RealtimeServer, port: number, forwardedFor: string): Promise<string> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime`, { headers: { 'x-forwarded-for': forwardedFor } })
    onTestFinished(() => ws.terminate())
    const peer = new RawSocket(ws)
    await once(ws, 'open')
    peer.send({ t: 'hello', v: 1, recoverable: true })
    const welcome = await peer.next((frame) => frame.t === 'welcome')
    ws.terminate()
    await until(() => !rt.connections.has(welcome.sid), 2000, 'the server to see the drop')
    return welcome.sid
  }

  it('counts the dropped sessions of a trusted proxy under each forwarded client address', async () => {
    const { rt, port, url } = await startServer({ authorize: () => true, trustProxy: ['127.0.0.1'], rateLimit: { detachedSessionsPerIp: 1 } })
    rt.on('connection', (conn) => conn.on('echo', (data) => data))
    const ended = collect<Connection>(rt, 'disconnect')
    const first = await park(rt, port, '203.0.113.1')
    await park(rt, port, '203.0.113.2')
    expect(ended).toEqual([])
    await park(rt, port, '203.0.113.1')
    await until(() => ended.length > 0, 2000, 'the eviction')
    expect(ended.map((conn) => conn.id)).toEqual([first])
    await expectServed(await bystanderClient(url))
  })
})

describe('trustProxy in handleRequest (fetch runtimes)', () => {
  const servers: RealtimeServer[] = []
  afterEach(async () => {
    for (const rt of servers.splice(0)) await rt.close()
  })

  /** Opens a polling session through `rt.handleRequest`; resolves with the response status. */
  async function open(rt: RealtimeServer, forwardedFor: string, remoteAddress?: string): Promise<number> {
    const request = new Request('http://localhost/realtime?transport=polling', { headers: { 'x-forwarded-for': forwardedFor } })
    const response = await rt.handleRequest(request, remoteAddress === undefined ? {} : { remoteAddress })
    await response.body?.cancel()
    return response.status
  }

  function server(trustProxy?: RealtimeServerOptions<unknown>['trustProxy']): RealtimeServer {
    const rt = new RealtimeServer({ transports: [pollingTransport({ holdMs: 500, sessionTimeoutMs: 1000 })], trustProxy, rateLimit: { connectionsPerIp: 1 }, closeTimeoutMs: 100, logger: false })
    servers.push(rt)
    return rt
  }

  it('counts under the given remoteAddress, not the header, by default', async () => {
    const rt = server()
    expect(await open(rt, '203.0.113.1', '10.0.0.1')).toBe(200)
    expect(await open(rt, '203.0.113.2', '10.0.0.1')).toBe(429)
    expect(await open(rt, '203.0.113.3', '10.0.0.2')).toBe(200)
  })

  it('counts under the forwarded address when remoteAddress is a trusted proxy, and under remoteAddress otherwise', async () => {
    const rt = server(['10.0.0.1'])
    expect(await open(rt, '203.0.113.1', '10.0.0.1')).toBe(200)
    expect(await open(rt, '203.0.113.2', '10.0.0.1')).toBe(200)
    expect(await open(rt, '203.0.113.1', '10.0.0.1')).toBe(429)
    expect(await open(rt, '203.0.113.4', '10.0.0.9')).toBe(200)
    expect(await open(rt, '203.0.113.5', '10.0.0.9')).toBe(429)
  })

  it('trusts the unknown peer of a runtime that gives no remoteAddress only with a hop count', async () => {
    const listed = server(['10.0.0.0/8'])
    // Without an address there is nothing to key on: no per-address limit applies.
    expect(await open(listed, '203.0.113.1')).toBe(200)
    expect(await open(listed, '203.0.113.1')).toBe(200)
    const hops = server(1)
    expect(await open(hops, '198.51.100.1, 203.0.113.1')).toBe(200)
    expect(await open(hops, '203.0.113.1')).toBe(429)
    expect(await open(hops, '203.0.113.2')).toBe(200)
  })

  it('refuses a trustProxy entry that is no address or CIDR range', () => {
    expect(() => new RealtimeServer({ trustProxy: ['10.0.0.0/33'] })).toThrow(TypeError)
    expect(() => new RealtimeServer({ trustProxy: ['proxy.internal'] })).toThrow(TypeError)
    expect(() => new RealtimeServer({ trustProxy: -1 })).toThrow(TypeError)
  })
})
