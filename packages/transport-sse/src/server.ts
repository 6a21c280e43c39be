/**
 * Server-sent events transport, server half: events down a `text/event-stream`, frames up in POSTs.
 * @module @org/realtime-transport-sse/server
 */
import { ErrorCode, type TransportHost } from '@org/realtime-core'
import { HttpServerTransport, replyError, type HttpExchange, type HttpTransportOptions } from '@org/realtime-core/http'
import { SseSession } from './internal/sse-session.js'

/** Options of the SSE server transport. */
export interface SseServerTransportOptions extends HttpTransportOptions {
  /**
   * Milliseconds between comment lines written to an idle stream, so proxies do not cut it.
   * @default 15000
   */
  keepAliveMs?: number
  /**
   * Milliseconds a session survives without an open stream before it is dropped (a client may
   * resume its stream meanwhile). The server's `recovery.windowMs` counts from when the stream
   * closed, so this wait is part of the recovery window, not added to it.
   * @default 10000
   */
  sessionTimeoutMs?: number
  /**
   * Bytes of recent events kept per session for a stream that resumes with `Last-Event-ID`.
   * @default 16384
   */
  resumeBytes?: number
}

/** The SSE server transport, with the number of live sessions for monitoring. */
export interface SseServerTransport extends HttpServerTransport<SseSession> {
  readonly name: 'sse'
}

/**
 * The headers of an event stream. Besides the type: no proxy or cache may keep or transform it
 * (`no-transform` also stops compression middleware such as Express's `compression`); nginx does
 * not buffer it (`x-accel-buffering`); and `content-encoding: identity` says it is not encoded, so
 * that nginx's `gzip` and HAProxy's `compression`, which compress only unencoded answers, leave it
 * alone instead of holding events back in their compressor. Clients read `identity` as no encoding.
 */
const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'content-encoding': 'identity',
  'x-accel-buffering': 'no',
}

/**
 * The server-sent events transport for `RealtimeServer`: works on a Node.js HTTP server
 * (`rt.attach`) and in any fetch-API runtime (`rt.handleRequest`).
 *
 * @example
 * new RealtimeServer({ transports: [webSocketTransport(), sseTransport()] })
 */
export function sseTransport(options: SseServerTransportOptions = {}): SseServerTransport {
  return new SseTransport(options)
}

class SseTransport extends HttpServerTransport<SseSession> implements SseServerTransport {
  readonly name = 'sse' as const
  readonly #options: Required<Omit<SseServerTransportOptions, keyof HttpTransportOptions>>
  #keepAlive: ReturnType<typeof setInterval> | undefined

  constructor(options: SseServerTransportOptions) {
    super(options)
    this.#options = { keepAliveMs: options.keepAliveMs ?? 15_000, sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000, resumeBytes: options.resumeBytes ?? 16_384 }
  }

  override async close(): Promise<void> {
    clearInterval(this.#keepAlive)
    this.#keepAlive = undefined
    await super.close()
  }

  protected open(exchange: HttpExchange, host: TransportHost, headers: Record<string, string>): void {
    const session = new SseSession(this.newSessionId(), this.timing(this.#options.sessionTimeoutMs, host), this.unregisterSession, this.#options.resumeBytes)
    this.register(session)
    this.#keepAlive ??= setInterval(() => {
      for (const live of this.sessions()) live.keepAlive()
    }, this.#options.keepAliveMs)
    ;(this.#keepAlive as { unref?: () => void }).unref?.()
    // The client orders frames by their ids, and reads frames in the answers to its POSTs.
    if (exchange.param('answers') === '1') session.numbered = true
    session.listener = host.open(session, { url: exchange.url, headers: exchange.headers(), remoteAddress: exchange.remoteAddress })
    // From event 0: what the server sent while opening (a refusal, say) goes out first.
    session.stream(exchange, 0, streamHeaders(headers))
  }

  protected resume(session: SseSession, exchange: HttpExchange, headers: Record<string, string>): void {
    const lastEventId = parseLastEventId(exchange.header('last-event-id') ?? exchange.param('lastEventId'))
    if (lastEventId !== undefined && session.stream(exchange, lastEventId, streamHeaders(headers))) return
    // The client cannot catch up: let it start a new session rather than miss frames.
    session.terminate()
    const message = lastEventId === undefined ? 'Last-Event-ID must be an event id: decimal digits' : 'The events after Last-Event-ID are no longer kept'
    replyError(exchange, 410, ErrorCode.UnknownSession, message, headers)
  }
}

/** The headers of an event stream, with the CORS headers of its request (usually none). */
function streamHeaders(cors: Record<string, string>): Record<string, string> {
  for (const _ in cors) return { ...cors, ...STREAM_HEADERS }
  return STREAM_HEADERS
}

/**
 * The event a resume goes on after: 0 (the start) without `Last-Event-ID`, the id it names when
 * that is decimal digits (at most `Number.MAX_SAFE_INTEGER`), or undefined for anything else
 * (`0x1`, `1e0`, `-1`, empty), which the resume refuses.
 */
function parseLastEventId(value: string | null): number | undefined {
  if (value === null) return 0
  if (!/^[0-9]{1,16}$/.test(value)) return undefined
  const id = Number(value)
  return Number.isSafeInteger(id) ? id : undefined
}
