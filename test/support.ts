import { RealtimeClient, type RealtimeClientOptions } from '@org/realtime-client'
import { RealtimeServer, type RealtimeServerOptions } from '@org/realtime-server'
import { afterEach } from 'vitest'
import WebSocket from 'ws'

/** Everything a test opened, closed after each test. */
const cleanups: Array<() => unknown> = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Starts a server on an ephemeral port on 127.0.0.1; closed after the test. */
export async function startServer<TData = Record<string, any>>(
  options: RealtimeServerOptions<TData> = {},
): Promise<{ rt: RealtimeServer<TData>; port: number; url: string }> {
  const rt = new RealtimeServer<TData>(options)
  const port = await rt.listen(0, { host: '127.0.0.1' })
  cleanups.push(() => rt.close())
  return { rt, port, url: `http://127.0.0.1:${port}/realtime` }
}

/** A client of `url`; disconnected after the test. */
export function createClient(url: string, options: RealtimeClientOptions = {}): RealtimeClient {
  const client = new RealtimeClient(url, { reconnection: { initialDelayMs: 20, maxDelayMs: 100 }, ...options })
  cleanups.push(() => client.disconnect())
  return client
}

/** A client that has completed its handshake. */
export async function connectedClient(url: string, options: RealtimeClientOptions = {}): Promise<RealtimeClient> {
  const client = createClient(url, options)
  await once(client, 'connect')
  return client
}

/** Resolves with the first argument of the next `event` of `target`, or rejects after `timeoutMs`. */
export function once<T = any>(
  target: { on(event: string, listener: (value: any) => unknown): unknown; off(event: string, listener: (value: any) => unknown): unknown },
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
export function collect<T = any>(target: { on(event: string, listener: (value: any) => unknown): unknown }, event: string): T[] {
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

/** A raw WebSocket speaking the protocol by hand, for bad input; closed after the test. */
export async function rawSocket(port: number): Promise<RawSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime`)
  cleanups.push(() => ws.terminate())
  const raw = new RawSocket(ws)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return raw
}

/** Frames received and the close of a raw WebSocket. */
export class RawSocket {
  readonly frames: any[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  readonly #waiters: Array<() => void> = []

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)))
      for (const wake of this.#waiters.splice(0)) wake()
    })
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })))
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** Completes the handshake and returns the welcome frame. */
  async handshake(auth?: unknown): Promise<any> {
    this.send({ t: 'hello', v: 1, auth })
    return this.next((frame) => frame.t === 'welcome')
  }

  /** The first frame (already received or upcoming) matching `match`. */
  async next(match: (frame: any) => boolean, timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.frames.find(match)
      if (found !== undefined) return found
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames)}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }
}
