import type { ClientTransport, ServerTransport } from '@org/realtime-core'
import { RealtimeClient, type RealtimeClientOptions } from '@org/realtime-client'
import { RealtimeServer, type RealtimeServerOptions } from '@org/realtime-server'
import { pollingTransport as pollingClient } from '@org/realtime-transport-polling/client'
import { pollingTransport } from '@org/realtime-transport-polling/server'
import { sseTransport as sseClient } from '@org/realtime-transport-sse/client'
import { sseTransport } from '@org/realtime-transport-sse/server'
import { webSocketTransport as webSocketClient } from '@org/realtime-transport-ws/client'
import { webSocketTransport } from '@org/realtime-transport-ws/server'
import { afterAll, afterEach, beforeAll, describe } from 'vitest'
import WebSocket from 'ws'
import { FrameLog } from './frame-log.js'
import { RawHttpPeer } from './raw-http-peer.js'

/** One transport under test: its server and client halves. */
export interface TransportCase {
  name: 'websocket' | 'sse' | 'polling'
  client(): ClientTransport
}

/** Every transport; the conformance suites run once for each. */
export const transportCases: readonly TransportCase[] = [
  { name: 'websocket', client: () => webSocketClient() },
  { name: 'sse', client: () => sseClient() },
  { name: 'polling', client: () => pollingClient() },
]

let current: TransportCase = transportCases[0] as TransportCase

/** The transport the running conformance suite is about. */
export function currentTransport(): TransportCase {
  return current
}

/**
 * Runs the suite `fn` once per transport: clients made with `createClient` use that transport,
 * `rawSocket` speaks it by hand, and servers from `startServer` accept every transport.
 */
export function describeTransports(name: string, fn: (transport: TransportCase) => void): void {
  describe.each(transportCases)(`${name} over $name`, (transport) => {
    beforeAll(() => {
      current = transport
    })
    afterAll(() => {
      current = transportCases[0] as TransportCase
    })
    fn(transport)
  })
}

/** Server transports for every transport under test, with short session timeouts. */
export function allServerTransports(): ServerTransport[] {
  const transports = [webSocketTransport(), sseTransport({ sessionTimeoutMs: 2000 }), pollingTransport({ holdMs: 2000, sessionTimeoutMs: 2000 })]
  // `REALTIME_TEST_HTTP=fetch`: the HTTP transports answer through their fetch-API path, as in a fetch runtime.
  return process.env.REALTIME_TEST_HTTP === 'fetch' ? transports.map(fetchApiOnly) : transports
}

/**
 * `transport` without its Node.js path (`serve`): a Node.js server then reaches it through the
 * fetch bridge, `Request` in and `Response` out, which is how the conformance suites run the
 * fetch-API path of the HTTP transports.
 */
export function fetchApiOnly(transport: ServerTransport): ServerTransport {
  if (transport.serve === undefined) return transport
  return new Proxy(transport, {
    get(target, property) {
      if (property === 'serve') return undefined
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** Everything a test opened, closed after each test. */
const cleanups: Array<() => unknown> = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Starts a server on an ephemeral port on 127.0.0.1; closed after the test. */
export async function startServer<TData = Record<string, any>>(
  options: RealtimeServerOptions<TData> = {},
): Promise<{ rt: RealtimeServer<TData>; port: number; url: string }> {
  // Quiet unless the test passes a logger: many tests make handlers fail on purpose.
  const rt = new RealtimeServer<TData>({ transports: allServerTransports(), logger: false, ...options })
  const port = await rt.listen(0, { host: '127.0.0.1' })
  cleanups.push(() => rt.close())
  return { rt, port, url: `http://127.0.0.1:${port}/realtime` }
}

/** A client of `url`; disconnected after the test. */
export function createClient(url: string, options: RealtimeClientOptions = {}): RealtimeClient {
  const client = new RealtimeClient(url, { transports: [current.client()], reconnection: { initialDelayMs: 20, maxDelayMs: 100 }, ...options })
  cleanups.push(() => client.disconnect())
  return client
}

/** A client that has completed its handshake. */
export async function connectedClient(url: string, options: RealtimeClientOptions = {}): Promise<RealtimeClient> {
  const client = createClient(url, options)
  await once(client.lifecycle, 'connect')
  return client
}

/**
 * Anything with `on` and `off`: a server, a connection, a client (its events) or a client's or
 * channel's `lifecycle` (`once(client.lifecycle, 'connect')`).
 */
export interface Emitter {
  on(event: any, listener: any): unknown
  off(event: any, listener?: any): unknown
}

/** Resolves with the first argument of the next `event` of `target`, or rejects after `timeoutMs`. */
export function once<T = any>(
  target: Emitter,
  event: string,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      target.off(event, listener)
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`))
    }, timeoutMs)
    const listener = (value: T): void => {
      clearTimeout(timer)
      target.off(event, listener)
      resolve(value)
    }
    target.on(event, listener)
  })
}

/** Collects the data of every `event` of `target`. */
export function collect<T = any>(target: Pick<Emitter, 'on'>, event: string): T[] {
  const received: T[] = []
  target.on(event, (value: T) => {
    received.push(value)
  })
  return received
}

/** Polls `condition` every 5 ms until it holds, or rejects after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/**
 * A peer of the current transport, speaking the protocol by hand; closed after the test. `query`
 * goes in the URL that opens the transport (`hello=1`, say).
 */
export async function rawPeer(port: number, { query }: { query?: string } = {}): Promise<RawPeer> {
  if (current.name === 'websocket') return rawSocket(port, query)
  const peer = await RawHttpPeer.open(`http://127.0.0.1:${port}/realtime`, current.name, { query })
  cleanups.push(() => peer.terminate())
  return peer
}

/** What the tests do with a raw peer of any transport. */
export interface RawPeer {
  readonly frames: any[]
  answerPings: boolean
  readonly closed: Promise<{ code: number; reason: string }>
  send(frame: unknown): void
  handshake(auth?: unknown): Promise<any>
  next(match: (frame: any) => boolean, timeoutMs?: number): Promise<any>
}

/** A raw WebSocket speaking the protocol by hand, for bad input; closed after the test. */
export async function rawSocket(port: number, query?: string): Promise<RawSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime${query === undefined ? '' : `?${query}`}`)
  cleanups.push(() => ws.terminate())
  const raw = new RawSocket(ws)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return raw
}

/** Frames received and the close of a raw WebSocket. */
export class RawSocket extends FrameLog implements RawPeer {
  readonly closed: Promise<{ code: number; reason: string }>

  constructor(readonly ws: WebSocket) {
    super()
    ws.on('message', (data) => this.received(String(data)))
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })))
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }
}
