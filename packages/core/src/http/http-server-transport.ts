import { CloseCode, ErrorCode, RealtimeError, isRealtimeError } from '../errors.js'
import type { RequestInfo, ServerTransport, TransportHost } from '../transport.js'
import { KEY_HEADER } from './client-helpers.js'
import { checkCors } from './cors.js'
import type { HttpSession, HttpSessionTiming } from './http-session.js'
import { httpTransportDefaults, type HttpTransportOptions } from './http-transport-options.js'
import { errorResponse } from './responses.js'
import { randomHex } from './secrets.js'

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

  constructor(options: HttpTransportOptions = {}) {
    this.#options = httpTransportDefaults(options)
  }

  /** Number of live sessions, including closed ones still delivering their last frames. */
  get sessionCount(): number {
    return this.#sessions.size
  }

  handle(request: Request, info: RequestInfo, host: TransportHost): Promise<Response> | undefined {
    const url = new URL(request.url)
    if (url.searchParams.get('transport') !== this.name) return undefined
    return this.#dispatch(request, url, info, host)
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

  /** Opens a session for a GET without `sid`; `register` adds it to the registry. */
  protected abstract open(request: Request, info: RequestInfo, host: TransportHost, headers: Record<string, string>): Response | Promise<Response>
  /** Serves a GET with the `sid` of a live session. */
  protected abstract resume(session: TSession, request: Request, headers: Record<string, string>): Response | Promise<Response>

  /** A fresh session id, `<name>_<random>`. */
  protected newSessionId(): string {
    return `${this.name}_${randomHex(15)}`
  }

  /** The timing of a new session: `graceMs` of the transport, `closeTimeoutMs` of the server. */
  protected timing(graceMs: number, host: TransportHost): HttpSessionTiming {
    return { graceMs, closeTimeoutMs: host.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS }
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

  async #dispatch(request: Request, url: URL, info: RequestInfo, host: TransportHost): Promise<Response> {
    const cors = checkCors(request, host)
    if (cors instanceof Response) return cors
    const { headers } = cors
    const sid = url.searchParams.get('sid')
    try {
      if (sid === null) {
        if (request.method !== 'GET') throw new RealtimeError(ErrorCode.BadRequest, 'Missing the "sid" parameter')
        return await this.open(request, info, host, headers)
      }
      const session = this.#find(sid)
      // Only the session's client can use it: a URL alone (from a log, a proxy) is not enough.
      if (!session.proves(request.method, request.headers.get(KEY_HEADER), url.searchParams.get('resume'))) throw unknownSession()
      switch (request.method) {
        case 'GET':
          return await this.resume(session, request, headers)
        case 'POST':
          await this.#receive(session, request, host.maxPayload)
          return new Response(null, { status: 204, headers })
        case 'DELETE':
          session.closedByClient(closeCodeOfDelete(request))
          return new Response(null, { status: 204, headers })
        default:
          return errorResponse(405, ErrorCode.BadRequest, `Method ${request.method} is not allowed`, { ...headers, allow: 'GET, POST, DELETE' })
      }
    } catch (error) {
      if (!isRealtimeError(error) || statusOf[error.code] === undefined) throw error
      return errorResponse(statusOf[error.code] as number, error.code, error.message, headers)
    }
  }

  /** Like a WebSocket message over `maxPayload`, a POST body over it (or over `maxFramesPerPost`) ends the connection with 1009. */
  async #receive(session: TSession, request: Request, maxPayload: number): Promise<void> {
    try {
      await session.receive(request, { maxBytes: maxPayload, maxFrames: this.#options.maxFramesPerPost, timeoutMs: this.#options.bodyTimeoutMs })
    } catch (error) {
      if (isRealtimeError(error) && error.code === ErrorCode.PayloadTooLarge) session.close(CloseCode.MessageTooBig, error.code)
      throw error
    }
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

/** The answer to a request for a session that does not exist, or that does not prove it is the session's client. */
function unknownSession(): RealtimeError {
  return new RealtimeError(ErrorCode.UnknownSession, 'No such session (it may have expired), or the request does not carry its key')
}

/** The close code a DELETE names in its `code` parameter: 1000, or one from 3000 to 4999 (1000 when absent or invalid). */
function closeCodeOfDelete(request: Request): number {
  const code = Number(new URL(request.url).searchParams.get('code'))
  return Number.isInteger(code) && code >= 3000 && code <= 4999 ? code : CloseCode.Normal
}
