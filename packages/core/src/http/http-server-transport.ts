import { CloseCode, ErrorCode, RealtimeError, isRealtimeError } from '../errors.js'
import type { RequestInfo, ServerTransport, TransportHost } from '../transport.js'
import { checkCors } from './cors.js'
import type { HttpSession } from './http-session.js'
import { errorResponse } from './responses.js'

const FINAL_DELIVERY_MS = 1000

const statusOf: Record<string, number> = {
  [ErrorCode.BadFrame]: 400,
  [ErrorCode.BadRequest]: 400,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.UnknownSession]: 404,
  [ErrorCode.TransportMismatch]: 409,
  [ErrorCode.RequestInFlight]: 409,
  [ErrorCode.PayloadTooLarge]: 413,
}

/**
 * What the HTTP transports share: requests are told apart by `?transport=<name>`, sessions by
 * `&sid=`; a GET without `sid` opens a session, a GET with one resumes delivery, a POST carries
 * frames up, a DELETE closes. CORS follows the server's origin allow-list; every failure is an
 * HTTP status with a JSON `{ code, message }` body.
 */
export abstract class HttpServerTransport<TSession extends HttpSession> implements ServerTransport {
  abstract readonly name: string
  readonly #sessions = new Map<string, TSession>()

  /** Number of live sessions, including closed ones still delivering their last frames. */
  get sessionCount(): number {
    return this.#sessions.size
  }

  handle(request: Request, info: RequestInfo, host: TransportHost): Promise<Response> | undefined {
    const url = new URL(request.url)
    if (url.searchParams.get('transport') !== this.name) return undefined
    return this.#dispatch(request, url.searchParams.get('sid'), info, host)
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
    const bytes = crypto.getRandomValues(new Uint8Array(15))
    return `${this.name}_${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`
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

  async #dispatch(request: Request, sid: string | null, info: RequestInfo, host: TransportHost): Promise<Response> {
    const cors = checkCors(request, host)
    if (cors instanceof Response) return cors
    const { headers } = cors
    try {
      if (sid === null) {
        if (request.method !== 'GET') throw new RealtimeError(ErrorCode.BadRequest, 'Missing the "sid" parameter')
        return await this.open(request, info, host, headers)
      }
      const session = this.#find(sid)
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

  /** Like a WebSocket message over `maxPayload`, a POST body over it ends the connection with 1009. */
  async #receive(session: TSession, request: Request, maxPayload: number): Promise<void> {
    try {
      await session.receive(request, maxPayload)
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
    throw new RealtimeError(ErrorCode.UnknownSession, 'No such session; it may have expired')
  }
}

/** The close code a DELETE names in its `code` parameter: 1000, or one from 3000 to 4999 (1000 when absent or invalid). */
function closeCodeOfDelete(request: Request): number {
  const code = Number(new URL(request.url).searchParams.get('code'))
  return Number.isInteger(code) && code >= 3000 && code <= 4999 ? code : CloseCode.Normal
}
