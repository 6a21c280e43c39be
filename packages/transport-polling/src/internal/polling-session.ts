import { CloseCode, ErrorCode, RealtimeError } from '@org/realtime-core'
import { HttpSession, formatCloseHeader, unrefTimer, type HttpExchange } from '@org/realtime-core/http'
import type { HeldPoll, HeldPollOwner, HeldPolls } from './held-polls.js'

/**
 * What the last answer of a server going away (1001: shutting down) adds: its connection ends with
 * it. Otherwise a client that reconnects at once keeps a kept-alive connection busy with opens the
 * closed server refuses, and the HTTP server's `close()` waits for it (under a framework's server,
 * as `rt.handleRequest` runs, the last answers may still be on their way when it is called).
 */
const LAST_ANSWER = { connection: 'close' }

/** The status of the answer to an open refused with a close code (others: 400 for 44xx, else 503). */
const REFUSAL_STATUS: Record<number, number> = { 4401: 401, 4403: 403, 4413: 413, 4429: 429 }

/**
 * One long-polling connection. Frames wait in a queue; a GET takes them all, one per line, and is
 * held up to `holdMs` when there are none. The close travels in the `x-realtime-close` header of
 * the last response: `<code> <reason, URI-encoded>`.
 *
 * Numbered (`numbered`), every answer with frames, and the one with the close, starts with a line
 * holding the number of its first frame in the session (0 for the first frame ever sent; for a
 * close without frames, the number the next frame would have), and a POST is answered with the
 * frames waiting when its own frames have been handled.
 *
 * Answers written to a Node.js response but not yet sent (a client that does not read them) count
 * in `bufferedAmount` until their response closes, so such a client is a slow consumer too; once
 * the session is closed, its last answer is cut off if it is not sent within `closeTimeoutMs`.
 */
export class PollingSession extends HttpSession implements HeldPollOwner {
  /** Frames handed out in answers so far: the number of the next answer's first frame. */
  #numberOfNext = 0
  /** A numbered POST is being handled: its answer takes the frames, the held long-poll waits. */
  #posting = false
  #pending: string[] = []
  #pendingBytes = 0
  #held: HeldPoll | undefined
  /** The transport's held polls, which this session's join while held. */
  #holding: HeldPolls | undefined
  #flushQueued = false
  #closeHeader: string | undefined
  #closeCode = 0

  get bufferedAmount(): number {
    return this.#pendingBytes + this.unsentBytes
  }

  send(frame: string): void {
    if (this.ended) return
    this.#pending.push(frame)
    this.#pendingBytes += frame.length + 1
    // Frames sent in the same tick leave in one response.
    if (this.#held !== undefined && !this.#flushQueued) {
      this.#flushQueued = true
      queueMicrotask(() => {
        this.#flushQueued = false
        if (!this.#posting) this.#respond()
      })
    }
  }

  /** A numbered POST arrived: frames sent from now on wait for its answer. */
  override postStarted(): void {
    this.#posting = true
  }

  /** The numbered POST failed (its answer is an error): what waits goes to the held long-poll. */
  override postEnded(): void {
    this.#posting = false
    if (this.#pending.length > 0) this.#respond()
  }

  /**
   * Answers the numbered POST whose frames were all handled: 200 with the frames waiting (what its
   * frames caused, and anything else sent meanwhile), numbered; 204 when none wait.
   */
  override answerPost(exchange: HttpExchange, cors: Record<string, string>): void {
    this.#posting = false
    if (this.#pending.length === 0) {
      exchange.reply(204, cors)
      return
    }
    this.answer(exchange, 200, cors, this.#takeFrames())
  }

  /**
   * Answers a long-poll: at once when frames or the close are waiting, else when they arrive or
   * when the hold time of `holding` ends, with an empty body. `opening`, the first line of the
   * answer when the poll is the session's open (its id and key), goes before the frames.
   * @throws RealtimeError `REQUEST_IN_FLIGHT` while another long-poll of this session is held.
   */
  poll(exchange: HttpExchange, headers: Record<string, string>, holding: HeldPolls, opening?: string): void {
    if (this.#held !== undefined) throw new RealtimeError(ErrorCode.RequestInFlight, 'Another long-poll for this session is in flight')
    this.attach()
    if (this.#pending.length > 0 || this.#closeHeader !== undefined) return this.#take(exchange, headers, 200, opening)
    const held = holding.hold(this, exchange, headers, opening)
    this.#held = held
    this.#holding = holding
    // The client went away: the session counts as detached from now, its frames wait for the next poll.
    exchange.onAbort(() => this.#respond(held))
  }

  /**
   * The hold time of `held` ended: it is answered, empty.
   * @internal
   */
  holdEnded(held: HeldPoll): void {
    this.#respond(held)
  }

  /**
   * The answer to an open the server refused at once (a limit, a server shutting down): the frames
   * it sent and its close, with the HTTP status of its close code (429 for 4429, 503 for 1001…).
   * The session goes at once.
   */
  refusal(exchange: HttpExchange, headers: Record<string, string>): void {
    this.#take(exchange, headers, REFUSAL_STATUS[this.#closeCode] ?? (this.#closeCode >= 4400 && this.#closeCode < 4500 ? 400 : 503))
  }

  protected deliverClose(code: number, reason: string): void {
    this.#closeCode = code
    this.#closeHeader = formatCloseHeader(code, reason)
    this.#respond()
  }

  protected abort(graceful: boolean): void {
    this.#respond()
    // Nobody came for the frames: they go. Answers still being sent go too, unless the client asked to close.
    this.#pending = []
    this.#pendingBytes = 0
    if (!graceful) this.cutOffUnsent()
  }

  /** Answers the held long-poll (`held`, if given, only if it is still the one held). */
  #respond(held: HeldPoll | undefined = this.#held): void {
    if (held === undefined || this.#held !== held) return
    this.#holding?.release(held)
    this.#held = undefined
    this.#take(held.exchange, held.headers, 200, held.opening)
  }

  /** Answers `exchange` with every waiting frame (after `opening`, if given), and the close if there is one. */
  #take(exchange: HttpExchange, cors: Record<string, string>, status = 200, opening?: string): void {
    const closing = this.#closeHeader
    // The close's answer is numbered even without frames: the client closes once it has every frame before it.
    const frames = closing !== undefined && this.numbered && this.#pending.length === 0 ? String(this.#numberOfNext) : this.#takeFrames()
    const body = opening === undefined ? frames : frames.length === 0 ? opening : `${opening}\n${frames}`
    if (closing === undefined) this.detach()
    else this.remove()
    let headers = cors
    if (closing !== undefined) headers = this.#closeCode === CloseCode.GoingAway ? { ...cors, 'x-realtime-close': closing, ...LAST_ANSWER } : { ...cors, 'x-realtime-close': closing }
    this.answer(exchange, status, headers, body)
    // After the close, what the client has not taken within closeTimeoutMs is cut off.
    if (closing !== undefined && this.hasUnsent) unrefTimer(() => this.cutOffUnsent(), this.closeTimeoutMs)
  }

  /** Every waiting frame, one per line, after the number of the first when answers are numbered; '' when none wait. */
  #takeFrames(): string {
    const count = this.#pending.length
    if (count === 0) return ''
    let frames = this.#pending.join('\n')
    if (this.numbered) {
      frames = `${this.#numberOfNext}\n${frames}`
      this.#numberOfNext += count
    }
    this.#pending = []
    this.#pendingBytes = 0
    return frames
  }
}
