import { ErrorCode, RealtimeError } from '@org/realtime-core'
import { HttpSession, formatCloseHeader, unrefTimer, type HttpExchange, type HttpStream } from '@org/realtime-core/http'
import type { HeldPoll, HeldPollOwner, HeldPolls } from './held-polls.js'

/** The headers of every answer, besides CORS ones. */
const ANSWER_HEADERS: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }

/** The status of the answer to an open refused with a close code (others: 400 for 44xx, else 503). */
const REFUSAL_STATUS: Record<number, number> = { 4401: 401, 4403: 403, 4413: 413, 4429: 429 }

/**
 * One long-polling connection. Frames wait in a queue; a GET takes them all, one per line, and is
 * held up to `holdMs` when there are none. The close travels in the `x-realtime-close` header of
 * the last response: `<code> <reason, URI-encoded>`.
 *
 * Answers written to a Node.js response but not yet sent (a client that does not read them) count
 * in `bufferedAmount` until their response closes, so such a client is a slow consumer too; once
 * the session is closed, its last answer is cut off if it is not sent within `closeTimeoutMs`.
 */
export class PollingSession extends HttpSession implements HeldPollOwner {
  #pending: string[] = []
  #pendingBytes = 0
  #held: HeldPoll | undefined
  /** The transport's held polls, which this session's join while held. */
  #holding: HeldPolls | undefined
  #flushQueued = false
  #closeHeader: string | undefined
  #closeCode = 0
  /** Answers not yet sent whole (a Node.js response still buffering them); created when there is one. */
  #unsent: Set<HttpStream> | undefined

  get bufferedAmount(): number {
    let bytes = this.#pendingBytes
    if (this.#unsent !== undefined) for (const answer of this.#unsent) bytes += answer.writableLength
    return bytes
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
        this.#respond()
      })
    }
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
    if (!graceful) this.#cutOff()
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
    const frames = this.#pending.join('\n')
    const body = opening === undefined ? frames : frames.length === 0 ? opening : `${opening}\n${frames}`
    this.#pending = []
    this.#pendingBytes = 0
    const closing = this.#closeHeader
    if (closing === undefined) this.detach()
    else this.remove()
    let headers = ANSWER_HEADERS
    for (const _ in cors) {
      headers = { ...cors, ...ANSWER_HEADERS }
      break
    }
    if (closing !== undefined) headers = { ...headers, 'x-realtime-close': closing }
    const unsent = exchange.reply(status, headers, body)
    // Written but not sent yet (a client that does not read): buffered until its response closes.
    if (unsent !== undefined) {
      const answers = (this.#unsent ??= new Set())
      answers.add(unsent)
      unsent.onClose(() => answers.delete(unsent))
    }
    // After the close, what the client has not taken within closeTimeoutMs is cut off.
    if (closing !== undefined && this.#unsent !== undefined && this.#unsent.size > 0) unrefTimer(() => this.#cutOff(), this.closeTimeoutMs)
  }

  /** Drops the answers not sent yet, with their connections. */
  #cutOff(): void {
    if (this.#unsent === undefined) return
    for (const answer of this.#unsent) answer.destroy()
    this.#unsent.clear()
  }
}
