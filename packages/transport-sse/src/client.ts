/**
 * Server-sent events transport, client half: `EventSource` in browsers, fetch streaming elsewhere.
 * @module @org/realtime-transport-sse/client
 */
import { CloseCode, type ClientSocket, type ClientSocketListener, type ClientTransport } from '@org/realtime-core'
import { HttpClientSession, HttpRefusal, closeCodeOf, withQuery } from '@org/realtime-core/http'
import { createSseParser, type SseEvent } from './internal/parse-sse.js'

/** The subset of the WHATWG `EventSource` constructor the transport uses. */
export interface EventSourceConstructor {
  new (url: string, init?: { withCredentials?: boolean }): EventSourceLike
}

/** The subset of a WHATWG `EventSource` the transport uses. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: { data: string }) => void): void
  onerror: ((event: unknown) => void) | null
  close(): void
}

/** Options of the SSE client transport. */
export interface SseClientTransportOptions {
  /**
   * The `EventSource` implementation, or `false` to read the stream with fetch.
   * @default globalThis.EventSource where it exists (browsers), else fetch streaming (Node.js)
   */
  EventSource?: EventSourceConstructor | false
  /**
   * The fetch implementation, for POSTs and for the stream without `EventSource`.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch
  /**
   * Send cookies to a server on another origin.
   * @default false
   */
  withCredentials?: boolean
}

/**
 * The server-sent events transport for `RealtimeClient`: frames arrive on a `text/event-stream`
 * and go up in POSTs. Works where WebSocket is blocked and plain HTTP gets through.
 *
 * @example
 * new RealtimeClient(url, { transports: [webSocketTransport(), sseTransport()] })
 */
export function sseTransport(options: SseClientTransportOptions = {}): ClientTransport {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis)
  const EventSourceImpl = options.EventSource === undefined ? (globalThis as { EventSource?: EventSourceConstructor }).EventSource : options.EventSource || undefined
  const credentials: RequestCredentials = options.withCredentials === true ? 'include' : 'same-origin'
  return {
    name: 'sse',
    open(url: string, listener: ClientSocketListener): ClientSocket {
      const session = new HttpClientSession(listener, fetchImpl, credentials)
      const onEvent = ({ type, data }: SseEvent): void => {
        if (type === 'message') session.received(data)
        else if (type === 'session') session.started(withQuery(url, { transport: 'sse', sid: data }))
        else if (type === 'close') {
          const { code, reason } = JSON.parse(data) as { code: number; reason: string }
          session.finish(code, reason)
        }
      }
      const streamUrl = withQuery(url, { transport: 'sse' })
      if (EventSourceImpl !== undefined) {
        const source = new EventSourceImpl(streamUrl, { withCredentials: options.withCredentials === true })
        for (const type of ['message', 'session', 'close']) source.addEventListener(type, (event) => onEvent({ type, data: event.data }))
        // EventSource would retry on its own, into a new session: the client reconnects instead.
        source.onerror = () => session.finish(CloseCode.Abnormal, 'the event stream failed')
        session.stopDelivery = () => source.close()
      } else {
        const aborted = new AbortController()
        session.stopDelivery = () => aborted.abort()
        readStream(fetchImpl, streamUrl, credentials, aborted.signal, onEvent).then(
          () => session.finish(CloseCode.Abnormal, 'the event stream ended'),
          (error: unknown) => session.finish(closeCodeOf(error), error instanceof Error ? error.message : 'the event stream failed'),
        )
      }
      return session
    },
  }
}

async function readStream(fetchImpl: typeof fetch, url: string, credentials: RequestCredentials, signal: AbortSignal, onEvent: (event: SseEvent) => void): Promise<void> {
  const response = await fetchImpl(url, { headers: { accept: 'text/event-stream' }, credentials, signal })
  if (!response.ok || response.body === null) {
    await response.body?.cancel()
    throw new HttpRefusal(response.status)
  }
  const parse = createSseParser(onEvent)
  const decoder = new TextDecoder()
  const reader = response.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    parse(decoder.decode(value, { stream: true }))
  }
}
