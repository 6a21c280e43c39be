import type { ClientSocket, ClientSocketListener, ClientTransport } from '@org/realtime-core'
import { ABNORMAL_CLOSE, HttpClientSession, withQuery } from '@org/realtime-core/http-client'
import type { SseEvent } from './parse-sse.js'

/** The subset of the WHATWG `EventSource` constructor the transport uses. */
export interface EventSourceConstructor {
  new (url: string, init?: { withCredentials?: boolean }): EventSourceLike
}

/** The subset of a WHATWG `EventSource` the transport uses. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: { data: string; lastEventId?: string }) => void): void
  onerror: ((event: unknown) => void) | null
  close(): void
}

/** Options of the SSE client transport. */
export interface SseClientTransportOptions {
  /**
   * The `EventSource` implementation, or `false` to read the stream with fetch (in the Node.js
   * build only: the browser build has no stream reader of its own, and fails to open without an
   * `EventSource`).
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
 * Reads the event stream at `url` without `EventSource`: hands each event to `onEvent` and ends
 * `session` when the stream ends or fails. Only the Node.js build has one: browsers have
 * `EventSource`.
 */
export type StreamReader = (url: string, session: HttpClientSession, onEvent: (event: SseEvent) => void) => void

/** The transport, reading the stream with `EventSource`, or with `readStream` where there is none. */
export function createTransport(options: SseClientTransportOptions, readStream: StreamReader | undefined): ClientTransport {
  const EventSourceImpl = options.EventSource === undefined ? (globalThis as { EventSource?: EventSourceConstructor }).EventSource : options.EventSource || undefined
  return {
    name: 'sse',
    open(url: string, listener: ClientSocketListener): ClientSocket {
      const session = new HttpClientSession(listener, options)
      const onEvent = ({ type, data, lastEventId }: SseEvent): void => {
        if (type === 'message') {
          // Numbered (a server that says so): a POST's answer may overtake the stream's events.
          if (session.numbered) session.receivedNumbered(Number(lastEventId), [data])
          else session.received(data)
        } else if (type === 'session') {
          // `{ sid, key, resume }`: the key goes in a header of each POST and DELETE, never in a URL.
          const { sid, key, answers } = JSON.parse(data) as { sid: string; key: string; answers?: number }
          // Event ids start at 1.
          if (answers === 1) session.numberFrom(1)
          session.started(withQuery(url, { transport: 'sse', sid }), key)
        } else if (type === 'close') {
          const { code, reason, next } = JSON.parse(data) as { code: number; reason: string; next?: number }
          if (session.numbered && next !== undefined) session.finishAfter(next, code, reason)
          else session.finish(code, reason)
        }
      }
      // Numbered answers need each event's id: the platform's EventSource and the fetch reader give it,
      // an implementation passed as the `EventSource` option may not.
      const streamUrl = withQuery(url, options.EventSource === undefined || options.EventSource === false ? { transport: 'sse', answers: '1' } : { transport: 'sse' })
      if (EventSourceImpl !== undefined) {
        const source = new EventSourceImpl(streamUrl, { withCredentials: options.withCredentials })
        for (const type of ['message', 'session', 'close']) source.addEventListener(type, (event) => onEvent({ type, data: event.data, lastEventId: event.lastEventId ?? '' }))
        // EventSource would retry on its own, into a new session: the client reconnects instead.
        source.onerror = () => session.deliveryEnded(ABNORMAL_CLOSE, 'the event stream failed')
        session.stopDelivery = () => source.close()
      } else if (readStream === undefined) {
        queueMicrotask(() => session.finish(ABNORMAL_CLOSE, 'No EventSource: pass one as the `EventSource` option'))
      } else readStream(streamUrl, session, onEvent)
      return session
    },
  }
}

