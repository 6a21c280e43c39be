/**
 * Long-polling transport, server half: batched frames down held GETs, up in POSTs.
 * @module @org/realtime-transport-polling/server
 */
import type { TransportHost } from '@org/realtime-core'
import { HttpServerTransport, type HttpExchange, type HttpTransportOptions } from '@org/realtime-core/http'
import { HeldPolls } from './internal/held-polls.js'
import { FRAMES_IN_OPEN, NUMBERED_ANSWERS } from './internal/open-query.js'
import { PollingSession } from './internal/polling-session.js'

/** Options of the long-polling server transport. */
export interface PollingServerTransportOptions extends HttpTransportOptions {
  /**
   * Milliseconds a GET is held when there is nothing to send. Keep it below the idle timeout of
   * proxies between client and server.
   * @default 25000
   */
  holdMs?: number
  /**
   * Milliseconds a session survives between two long-polls of its client before it is dropped.
   * The server's `recovery.windowMs` counts from the answer to the last long-poll, so this wait is
   * part of the recovery window, not added to it.
   * @default 10000
   */
  sessionTimeoutMs?: number
}

/** The long-polling server transport, with the number of live sessions for monitoring. */
export interface PollingServerTransport extends HttpServerTransport<PollingSession> {
  readonly name: 'polling'
}

/**
 * The long-polling transport for `RealtimeServer`, for networks where neither WebSocket nor
 * event streams get through. Works on a Node.js HTTP server (`rt.attach`) and in any fetch-API
 * runtime (`rt.handleRequest`).
 *
 * @example
 * new RealtimeServer({ transports: [webSocketTransport(), sseTransport(), pollingTransport()] })
 */
export function pollingTransport(options: PollingServerTransportOptions = {}): PollingServerTransport {
  return new PollingTransport(options)
}

/**
 * Whether an open is answered with the session's first frames after its id and key, one per line:
 * when the client reads them there (it says `frames=1`, as this package's client does) and they come
 * without the client posting anything (it said `hello` in the URL).
 */
function answersWithFrames(url: string): boolean {
  return FRAMES_PARAM.test(url) && HELLO_PARAM.test(url)
}

const FRAMES_PARAM = new RegExp(`[?&]${FRAMES_IN_OPEN}=1(?:&|$)`)
const HELLO_PARAM = /[?&]hello=/

class PollingTransport extends HttpServerTransport<PollingSession> implements PollingServerTransport {
  readonly name = 'polling' as const
  readonly #holdMs: number
  readonly #sessionTimeoutMs: number
  /** Every held long-poll of the transport, on one timer. */
  readonly #held: HeldPolls

  constructor(options: PollingServerTransportOptions) {
    super(options)
    this.#holdMs = options.holdMs ?? 25_000
    this.#sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000
    this.#held = new HeldPolls(this.#holdMs)
  }

  protected open(exchange: HttpExchange, host: TransportHost, headers: Record<string, string>): void {
    const session = new PollingSession(this.newSessionId(), this.timing(this.#sessionTimeoutMs, host), this.unregisterSession)
    this.register(session)
    session.listener = host.open(session, { url: exchange.url, headers: exchange.headers(), remoteAddress: exchange.remoteAddress })
    // Refused at once (over a limit, say): the refusal is the answer, and no session is kept for it.
    if (session.ended) return session.refusal(exchange, headers)
    // The client orders numbered answers and reads frames in the answers to its POSTs: say it is so.
    if (exchange.param(NUMBERED_ANSWERS) === '1') session.numbered = true
    const opening = session.numbered
      ? JSON.stringify({ sid: session.id, key: session.key, holdMs: this.#holdMs, [NUMBERED_ANSWERS]: 1 })
      : JSON.stringify({ sid: session.id, key: session.key, holdMs: this.#holdMs })
    // The first frames are on their way (`hello` came in the URL) and the client reads them here:
    // the open is answered like a long-poll, saving the client its first one.
    if (answersWithFrames(exchange.url)) return session.poll(exchange, headers, this.#held, opening)
    exchange.reply(200, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store' }, opening)
  }

  /** A long-poll GET of a session held by another node is passed on too: its answer is one body. */
  protected override forwards(method: string): boolean {
    return method === 'GET' || super.forwards(method)
  }

  /** The node holding the session may hold a long poll for `holdMs` before it answers. */
  protected override forwardTimeoutMs(): number {
    return this.#holdMs + super.forwardTimeoutMs()
  }

  protected resume(session: PollingSession, exchange: HttpExchange, headers: Record<string, string>): void {
    session.poll(exchange, headers, this.#held)
  }
}
