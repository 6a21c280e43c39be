/**
 * Server-sent events transport, client half: `EventSource` in browsers, fetch streaming elsewhere.
 * @module @org/realtime-transport-sse/client
 */
import { CloseCode, type ClientSocket, type ClientSocketListener, type ClientTransport } from '@org/realtime-core'
import { HttpRefusal, PostQueue, closeCodeOf, withQuery } from '@org/realtime-core/http'
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
      let post: PostQueue | undefined
      let sessionUrl: string | undefined
      let finished = false
      let stopStream = (): void => {}
      const finish = (code: number, reason: string): void => {
        if (finished) return
        finished = true
        stopStream()
        post?.close()
        listener.close(code, reason)
      }
      const onEvent = ({ type, data }: SseEvent): void => {
        if (finished) return
        if (type === 'message') listener.message(data)
        else if (type === 'session' && post === undefined) {
          sessionUrl = withQuery(url, { transport: 'sse', sid: data })
          post = new PostQueue({ url: sessionUrl, fetch: fetchImpl, credentials, onFailure: finish })
          listener.open()
        } else if (type === 'close') {
          const { code, reason } = JSON.parse(data) as { code: number; reason: string }
          finish(code, reason)
        }
      }
      const streamUrl = withQuery(url, { transport: 'sse' })
      if (EventSourceImpl !== undefined) {
        const source = new EventSourceImpl(streamUrl, { withCredentials: options.withCredentials === true })
        for (const type of ['message', 'session', 'close']) source.addEventListener(type, (event) => onEvent({ type, data: event.data }))
        // EventSource would retry on its own, into a new session: the client reconnects instead.
        source.onerror = () => finish(CloseCode.Abnormal, 'the event stream failed')
        stopStream = () => source.close()
      } else {
        const aborted = new AbortController()
        stopStream = () => aborted.abort()
        readStream(fetchImpl, streamUrl, credentials, aborted.signal, onEvent).then(
          () => finish(CloseCode.Abnormal, 'the event stream ended'),
          (error: unknown) => finish(closeCodeOf(error), error instanceof Error ? error.message : 'the event stream failed'),
        )
      }
      return {
        send: (frame) => post?.send(frame),
        close: (code = CloseCode.Normal, reason = '') => {
          if (sessionUrl !== undefined && !finished) void fetchImpl(sessionUrl, { method: 'DELETE', credentials, keepalive: true }).catch(() => {})
          finish(code, reason)
        },
        setMaxPayload: (bytes) => post?.setMaxBytes(bytes),
      }
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
