import { CloseCode, ErrorCode, RealtimeError, isRealtimeError } from '../errors.js'
import type { ForwardedRequest, NodeRequestLike, NodeResponseLike, RequestInfo, ServerTransport, TransportHost } from '../transport.js'
import { KEY_HEADER } from './client-helpers.js'
import { checkCors } from './cors.js'
import { FetchExchange } from './fetch-exchange.js'
import type { HttpExchange } from './http-exchange.js'
import type { HttpSession, HttpSessionTiming } from './http-session.js'
import { httpTransportDefaults, type HttpTransportOptions } from './http-transport-options.js'
import { NodeExchange } from './node-exchange.js'
import { replyError } from './responses.js'
import { randomHex } from './raw-secrets.js'

const FINAL_DELIVERY_MS = 1000
/** `closeTimeoutMs` of a host that does not say. */
const DEFAULT_CLOSE_TIMEOUT_MS = 1000

const statusOf: Record<string, number> = {
  [ErrorCode.BadFrame]: 400,
  [ErrorCode.BadRequest]: 400,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.UnknownSession]: 404,
  [ErrorCode.TransportMismatch]: 409,
  [ErrorCode.RequestInFlight]: 409,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.Timeout]: 408,
}

/**
 * What the HTTP transports share: requests are told apart by `?transport=<name>`, sessions by
 * `&sid=`; a GET without `sid` opens a session, a GET with one resumes delivery, a POST carries
 * frames up, a DELETE closes. Every request after the open proves it comes from the session's
 * client (its key in the `x-realtime-key` header, or a single-use `resume` token for a stream
 * re-open); one that does not is answered as if the session did not exist, and changes nothing.
 * CORS follows the server's origin allow-list; every failure is an HTTP status with a JSON
 * `{ code, message }` body.
 */
export abstract class HttpServerTransport<TSession extends HttpSession> implements ServerTransport {
  abstract readonly name: string
  readonly #sessions = new Map<string, TSession>()
  readonly #options: Required<HttpTransportOptions>
  /** The timing last handed out, shared by the sessions that have the same one (usually all). */
  #timing: { host: TransportHost; timing: HttpSessionTiming } | undefined
  /**
   * Takes a session out of the registry: one function for every session of the transport (the
   * `unregister` of {@link HttpSession}'s constructor), rather than a closure each.
   */
  protected readonly unregisterSession = (session: HttpSession): void => this.unregister(session as TSession)

  constructor(options: HttpTransportOptions = {}) {
    this.#options = httpTransportDefaults(options)
  }

  /** Number of live sessions, including closed ones still delivering their last frames. */
  get sessionCount(): number {
    return this.#sessions.size
  }

  /** Answers a fetch-API request of this transport (`rt.handleRequest`). */
  handle(request: Request, info: RequestInfo, host: TransportHost): Promise<Response> | undefined {
    const url = new URL(request.url)
    if (url.searchParams.get('transport') !== this.name) return undefined
    const exchange = new FetchExchange(request, url, info.remoteAddress)
    return this.#dispatch(exchange, info.forwarded === true, host).then(() => exchange.answer)
  }

  /** Answers a Node.js request of this transport directly (`rt.attach`): no fetch objects. */
  serve(request: NodeRequestLike, response: NodeResponseLike, host: TransportHost): Promise<void> | undefined {
    const exchange = new NodeExchange(request, response)
    if (exchange.param('transport') !== this.name) return undefined
    return this.#dispatch(exchange, false, host)
  }

  /**
   * Gives sessions the server has closed up to a second to deliver their last frames and close
   * marker (a long-polling client comes back for them at once), then drops what is left.
   */
  async close(): Promise<void> {
    const deadline = Date.now() + FINAL_DELIVERY_MS
    while (this.#sessions.size > 0 && Date.now() < deadline && [...this.#sessions.values()].every((session) => session.ended)) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    for (const session of [...this.#sessions.values()]) session.terminate()
    this.#sessions.clear()
  }

  /** Opens a session for a GET without `sid` and answers it; `register` adds it to the registry. */
  protected abstract open(exchange: HttpExchange, host: TransportHost, headers: Record<string, string>): void
  /** Serves a GET with the `sid` of a live session (the answer may come later: a held long-poll). */
  protected abstract resume(session: TSession, exchange: HttpExchange, headers: Record<string, string>): void

  /** Whether this transport holds the session `sid` (a cluster asks, to pass it a request another node received). */
  holds(sid: string): boolean {
    return this.#sessions.has(sid)
  }

  /**
   * Whether a request of this method for a session held by another node is passed on to that
   * node (its answer is one body: a POST, a DELETE; a long-poll GET too); the others are answered
   * 404, and the client opens a new session that resumes the old one.
   */
  protected forwards(method: string): boolean {
    return method === 'POST' || method === 'DELETE'
  }

  /** Milliseconds the node holding a session may take to answer a request passed on to it. */
  protected forwardTimeoutMs(): number {
    return this.#options.bodyTimeoutMs + 5000
  }

  /** A fresh session id, `<name>_<random>`. */
  protected newSessionId(): string {
    return `${this.name}_${randomHex(15)}`
  }

  /**
   * The timing of a new session: `graceMs` of the transport, `closeTimeoutMs` of the server. One
   * object is shared by the sessions whose timing is the same (it is never changed).
   */
  protected timing(graceMs: number, host: TransportHost): HttpSessionTiming {
    const closeTimeoutMs = host.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS
    const last = this.#timing
    if (last?.host === host && last.timing.graceMs === graceMs && last.timing.closeTimeoutMs === closeTimeoutMs) return last.timing
    const timing: HttpSessionTiming = Object.freeze({ graceMs, closeTimeoutMs })
    this.#timing = { host, timing }
    return timing
  }

  protected register(session: TSession): void {
    this.#sessions.set(session.id, session)
  }

  /** The live sessions. */
  protected sessions(): IterableIterator<TSession> {
    return this.#sessions.values()
  }

  protected unregister(session: TSession): void {
    if (this.#sessions.get(session.id) === session) this.#sessions.delete(session.id)
  }

  /** Answers `exchange`, on either runtime; `forwarded`: it came from another node of the cluster. */
  async #dispatch(exchange: HttpExchange, forwarded: boolean, host: TransportHost): Promise<void> {
    const headers = checkCors(exchange, host)
    if (headers === undefined) return
    const sid = exchange.param('sid')
    try {
      if (sid === null) {
        if (exchange.method !== 'GET') throw new RealtimeError(ErrorCode.BadRequest, 'Missing the "sid" parameter')
        return this.open(exchange, host, headers)
      }
      if (!this.#sessions.has(sid) && (await this.#forward(exchange, sid, forwarded, host, headers))) return
      const session = this.#find(sid)
      // Only the session's client can use it: a URL alone (from a log, a proxy) is not enough.
      if (!session.proves(exchange.method, exchange.header(KEY_HEADER), exchange.param('resume'))) throw unknownSession()
      switch (exchange.method) {
        case 'GET':
          return this.resume(session, exchange, headers)
        case 'POST':
          return await this.#post(session, exchange, headers, host.maxPayload)
        case 'DELETE':
          session.closedByClient(closeCodeOfDelete(exchange))
          exchange.reply(204, headers)
          return
        default:
          replyError(exchange, 405, ErrorCode.BadRequest, `Method ${exchange.method} is not allowed`, { ...headers, allow: 'GET, POST, DELETE' })
      }
    } catch (error) {
      if (!isRealtimeError(error) || statusOf[error.code] === undefined) throw error
      replyError(exchange, statusOf[error.code] as number, error.code, error.message, headers)
    }
  }

  /**
   * Answers a POST of `session`: hands its frames to the session's listener, then answers 204, or
   * with the frames they caused when the session's answers are numbered (`HttpSession.numbered`).
   */
  async #post(session: TSession, exchange: HttpExchange, headers: Record<string, string>, maxPayload: number): Promise<void> {
    await this.#receive(session, exchange, maxPayload)
    if (session.numbered) session.answerPost(exchange, headers)
    else exchange.reply(204, headers)
  }

  /**
   * Hands the frames of a POST body to the session's listener. Like a WebSocket message over
   * `maxPayload`, a body over it (or over `maxFramesPerPost`) ends the connection with 1009.
   */
  async #receive(session: TSession, exchange: HttpExchange, maxPayload: number): Promise<void> {
    try {
      await session.receive(exchange, { maxBytes: maxPayload, maxFrames: this.#options.maxFramesPerPost, timeoutMs: this.#options.bodyTimeoutMs })
    } catch (error) {
      if (isRealtimeError(error) && error.code === ErrorCode.PayloadTooLarge) session.close(CloseCode.MessageTooBig, error.code)
      throw error
    }
  }

  /**
   * A request of a session this node does not hold: the node of the cluster that holds it
   * answers (undefined without a cluster adapter, for a request already passed on once, or when
   * no node holds the session). A POST body is read here within the same limits as for a session
   * of this node's.
   */
  async #forward(exchange: HttpExchange, sid: string, forwarded: boolean, host: TransportHost, headers: Record<string, string>): Promise<boolean> {
    // Only what could be a session of this transport is asked about around the cluster.
    if (host.forward === undefined || forwarded || !SESSION_ID.test(sid) || !sid.startsWith(`${this.name}_`) || !this.forwards(exchange.method)) return false
    const body = exchange.method === 'POST' ? await exchange.readText(host.maxPayload, this.#options.bodyTimeoutMs) : ''
    const request: ForwardedRequest = {
      transport: this.name,
      sid,
      method: exchange.method,
      url: exchange.url,
      headers: forwardedHeaders(exchange.headers()),
      body,
      remoteAddress: exchange.remoteAddress,
    }
    const answer = await host.forward(request, this.forwardTimeoutMs())
    if (answer === undefined) return false
    const answerHeaders: Record<string, string> = {}
    for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name)) answerHeaders[name] = value
    exchange.reply(answer.status, { ...answerHeaders, ...headers }, answer.body === '' ? undefined : answer.body)
    return true
  }

  #find(sid: string): TSession {
    const session = this.#sessions.get(sid)
    if (session !== undefined) return session
    const prefix = /^([a-z]+)_/.exec(sid)?.[1]
    if (prefix !== undefined && prefix !== this.name) {
      throw new RealtimeError(ErrorCode.TransportMismatch, `Session "${sid}" belongs to the ${prefix} transport`)
    }
    throw unknownSession()
  }
}

/** Headers that belong to one connection, not to the request: never passed between nodes. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'upgrade', 'te', 'trailer', 'proxy-connection'])

/** The request's headers to pass to another node (repeated ones joined with `, `). */
function forwardedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = Array.isArray(value) ? value.join(', ') : value
  return kept
}

/** What {@link HttpServerTransport.newSessionId} makes: a transport's name, `_`, 30 hex digits. */
const SESSION_ID = /^[a-z]+_[0-9a-f]{30}$/

/** The answer to a request for a session that does not exist, or that does not prove it is the session's client. */
function unknownSession(): RealtimeError {
  return new RealtimeError(ErrorCode.UnknownSession, 'No such session (it may have expired), or the request does not carry its key')
}

/** The close code a DELETE names in its `code` parameter: 1000, or one from 3000 to 4999 (1000 when absent or invalid). */
function closeCodeOfDelete(exchange: HttpExchange): number {
  const code = Number(exchange.param('code'))
  return Number.isInteger(code) && code >= 3000 && code <= 4999 ? code : CloseCode.Normal
}
