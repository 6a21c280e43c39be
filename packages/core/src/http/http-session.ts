import { ErrorCode, RealtimeError } from '../errors.js'
import type { ServerSocket, ServerSocketListener } from '../transport.js'
import type { HttpExchange, HttpStream } from './http-exchange.js'
import { hexOfSecret, isSecretHex, randomSecret } from './raw-secrets.js'
import { nextTurn, unrefTimer } from './timers.js'

/** Frames of a POST body handed over before the session lets other work run. */
const FRAMES_PER_TURN = 100

/** Bits of {@link HttpSession}'s state, in one field rather than a field each. */
const POSTING = 1
const ENDED = 2
const REMOVED = 4

/** The timing of an {@link HttpSession}. */
export interface HttpSessionTiming {
  /** Milliseconds the session may go without a client request before it is dropped. */
  graceMs: number
  /** Milliseconds a closed session keeps its last frames and close marker for its client. */
  closeTimeoutMs: number
}

/** Limits on the POST bodies of an {@link HttpSession}. */
export interface PostLimits {
  /** Bytes of a body. */
  maxBytes: number
  /** Non-empty lines (frames) of a body. */
  maxFrames: number
  /** Milliseconds for the body to arrive whole. */
  timeoutMs: number
}

/**
 * One connection of an HTTP transport: frames go down by the transport's own means (an event
 * stream, long-poll responses) and come up in POST bodies, one frame per line.
 *
 * The session's `key`, given to its client in the answer that opens it and never in a URL, proves
 * a request comes from that client (see {@link HttpSession.proves}). Once closed, the session
 * keeps its last frames and close marker for its client at most `closeTimeoutMs`; once removed,
 * it holds no timer and no frames.
 *
 * Its own methods are `private` rather than `#`: a class with `#` methods gives each instance a
 * field of its own (its brand), 8 bytes per session for nothing.
 */
export abstract class HttpSession implements ServerSocket {
  /** Where the connection's frames go; set right after the server accepted the session. */
  listener: ServerSocketListener | undefined
  /** The key, one character per byte: half the memory of its hexadecimal text. */
  readonly #key = randomSecret(16)
  readonly #timing: HttpSessionTiming
  readonly #unregister: (session: HttpSession) => void
  /** The single-use token of the next stream re-open (a URL parameter, for `EventSource`), one character per byte. */
  #resumeToken: string | undefined
  /** `POSTING` (a POST body is being handed over), `ENDED`, `REMOVED`. */
  #state = 0
  #grace: ReturnType<typeof setTimeout> | undefined
  #closeDeadline: ReturnType<typeof setTimeout> | undefined
  /** When the last request of the client let go of the session (`performance.now()`); undefined while one is attached. */
  #detachedAt: number | undefined
  /** Answers written but not sent whole yet (a client that does not read them); created when there is one. */
  #unsent: Set<HttpStream> | undefined
  /**
   * The client asked at its open for numbered answers (`answers=1`): a POST is answered with the
   * frames it caused rather than 204, and every frame carries a number in the session, by which the
   * client orders them (a POST's answer may overtake what comes down otherwise). How a transport
   * writes the numbers is its own. Set by the transport as the session opens.
   * @default false
   */
  numbered = false

  constructor(
    /** Session id, `<transport prefix>_<random>`. */
    readonly id: string,
    timing: HttpSessionTiming,
    /**
     * Removes the session from its transport's registry; called with the session, so that one
     * function can serve every session of a transport.
     */
    unregister: (session: HttpSession) => void,
  ) {
    this.#timing = timing
    this.#unregister = unregister
    this.detach()
  }

  /** The secret that proves a request comes from the session's client: 32 hexadecimal digits. */
  get key(): string {
    return hexOfSecret(this.#key)
  }

  abstract send(frame: string): void
  abstract get bufferedAmount(): number
  /** Delivers the close marker, or keeps it for the next request; `remove()`s the session once delivered. */
  protected abstract deliverClose(code: number, reason: string): void
  /**
   * Ends any response in progress at once and lets go of what waits for the client: cut off
   * (`graceful` false), or ended cleanly without a close marker (`graceful`, the client's DELETE).
   */
  protected abstract abort(graceful: boolean): void

  /** Whether the server side is done with the session (closed or terminated). */
  get ended(): boolean {
    return (this.#state & ENDED) !== 0
  }

  /**
   * Milliseconds since the client was last there (its stream open, a long-poll held or answered)
   * when no request of its is attached; 0 while one is. A session dropped for `graceMs` without
   * its client reports that it was gone this long, so that the server counts the recovery window
   * from the drop rather than from when it was found.
   */
  get goneForMs(): number {
    return this.#detachedAt === undefined ? 0 : performance.now() - this.#detachedAt
  }

  /** Milliseconds a closed session keeps what it has not delivered. */
  get closeTimeoutMs(): number {
    return this.#timing.closeTimeoutMs
  }

  /**
   * Whether a request proves it comes from the session's client: its `x-realtime-key` header,
   * `key`, is the session's key, or, for a GET, its `resume` parameter is the current single-use
   * token (which it uses up).
   */
  proves(method: string, key: string | null, resume: string | null): boolean {
    if (isSecretHex(key, this.#key)) return true
    if (method !== 'GET' || !isSecretHex(resume, this.#resumeToken)) return false
    this.#resumeToken = undefined
    return true
  }

  close(code: number, reason = ''): void {
    if ((this.#state & ENDED) !== 0) return
    this.deliverClose(code, reason)
    this.endSession(code, reason)
    // Whatever the client has not fetched by then is let go.
    if ((this.#state & REMOVED) === 0) this.#closeDeadline = unrefTimer(() => this.terminate(), this.#timing.closeTimeoutMs)
  }

  terminate(): void {
    this.dropSession(1006, 'terminated', false)
  }

  /** The client asked to close (DELETE) with `code`: nothing more is delivered. */
  closedByClient(code: number): void {
    this.dropSession(code, 'closed by the client', true)
  }

  /**
   * Hands the frames of a POST body to the listener, `FRAMES_PER_TURN` at a time, letting other
   * work run between them.
   * @throws RealtimeError `REQUEST_IN_FLIGHT`, `PAYLOAD_TOO_LARGE` (bytes or frames), `TIMEOUT`
   * (the body is too slow) or `BAD_FRAME` (not UTF-8).
   */
  async receive(exchange: HttpExchange, limits: PostLimits): Promise<void> {
    if ((this.#state & POSTING) !== 0) throw new RealtimeError(ErrorCode.RequestInFlight, 'Another POST for this session is in flight')
    this.#state |= POSTING
    // Only now, once the POST is known to be the session's one in flight, may it take frames.
    const answering = this.numbered
    if (answering) this.postStarted()
    try {
      const lines = (await exchange.readText(limits.maxBytes, limits.timeoutMs)).split('\n').filter((line) => line.length > 0)
      if (lines.length > limits.maxFrames) {
        throw new RealtimeError(ErrorCode.PayloadTooLarge, `The body holds more than maxFramesPerPost (${limits.maxFrames}) frames`)
      }
      for (let index = 0; index < lines.length && !this.ended; index++) {
        if (index > 0 && index % FRAMES_PER_TURN === 0) await nextTurn()
        if (!this.ended) this.listener?.message(lines[index] as string)
      }
    } catch (error) {
      if (answering) this.postEnded()
      throw error
    } finally {
      this.#state &= ~POSTING
    }
  }

  /**
   * A POST that will be answered with frames started (the session is `numbered`; called by
   * `receive` before the body is read): frames sent from now on wait for its answer.
   */
  postStarted(): void {}

  /** The POST failed (its answer is an error): frames kept for its answer go the usual way. */
  postEnded(): void {}

  /**
   * Answers the POST whose frames were all handed over, when the session is `numbered` (the
   * transport calls it): with the frames waiting for it, or 204.
   */
  answerPost(exchange: HttpExchange, cors: Record<string, string>): void {
    exchange.reply(204, cors)
  }

  /**
   * Answers `exchange` with `body`, `content-type: text/plain; charset=utf-8` and `no-store`
   * besides `headers`. An answer written but not sent whole yet (a client that does not read it)
   * counts in {@link HttpSession.unsentBytes} until its response closes.
   */
  protected answer(exchange: HttpExchange, status: number, headers: Record<string, string>, body: string): void {
    const unsent = exchange.reply(status, withAnswerHeaders(headers), body)
    if (unsent === undefined) return
    const answers = (this.#unsent ??= new Set())
    answers.add(unsent)
    unsent.onClose(() => answers.delete(unsent))
  }

  /** Bytes of answers written but not sent yet: part of the session's `bufferedAmount`. */
  protected get unsentBytes(): number {
    let bytes = 0
    if (this.#unsent !== undefined) for (const answer of this.#unsent) bytes += answer.writableLength
    return bytes
  }

  /** Whether an answer is written but not sent whole yet. */
  protected get hasUnsent(): boolean {
    return this.#unsent !== undefined && this.#unsent.size > 0
  }

  /** Drops the answers not sent yet, with their connections. */
  protected cutOffUnsent(): void {
    if (this.#unsent === undefined) return
    for (const answer of this.#unsent) answer.destroy()
    this.#unsent.clear()
  }

  /** A new single-use token for the next stream re-open, replacing the previous one. */
  protected newResumeToken(): string {
    this.#resumeToken = randomSecret(16)
    return hexOfSecret(this.#resumeToken)
  }

  /** Takes the session out of its transport's registry and lets go of its timers, once. */
  protected remove(): void {
    if ((this.#state & REMOVED) !== 0) return
    this.#state |= REMOVED
    clearTimeout(this.#grace)
    clearTimeout(this.#closeDeadline)
    this.#grace = this.#closeDeadline = undefined
    this.#unregister(this)
  }

  /** A client request is attached: the session is alive. */
  protected attach(): void {
    clearTimeout(this.#grace)
    this.#grace = undefined
    this.#detachedAt = undefined
  }

  /** No client request is attached: the session is dropped unless one arrives within `graceMs`. */
  protected detach(): void {
    this.#detachedAt = performance.now()
    clearTimeout(this.#grace)
    this.#grace = (this.#state & REMOVED) !== 0 ? undefined : unrefTimer(() => this.terminate(), this.#timing.graceMs)
  }

  private dropSession(code: number, reason: string, graceful: boolean): void {
    this.abort(graceful)
    this.remove()
    if (!this.ended) this.endSession(code, reason)
  }

  private endSession(code: number, reason: string): void {
    this.#state |= ENDED
    this.listener?.close(code, reason)
  }
}

/** The headers of an answer with frames, besides CORS ones. */
const ANSWER_HEADERS: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }

/** `headers` (CORS ones, usually none: then a shared constant) with those of an answer with frames. */
function withAnswerHeaders(headers: Record<string, string>): Record<string, string> {
  for (const _ in headers) return { ...headers, ...ANSWER_HEADERS }
  return ANSWER_HEADERS
}
