import { ErrorCode, RealtimeError } from '@org/realtime-core'
import { DIRECT_BODY, HttpSession, formatCloseHeader, unrefTimer, type DirectTarget } from '@org/realtime-core/http'

/** A long-poll held open until frames arrive or the hold time ends. */
interface HeldPoll {
  respond(): void
  timer: ReturnType<typeof setTimeout>
}

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
export class PollingSession extends HttpSession {
  #pending: string[] = []
  #pendingBytes = 0
  #held: HeldPoll | undefined
  #flushQueued = false
  #closeHeader: string | undefined
  #closeCode = 0
  /** Node.js responses with an answer not yet sent whole. */
  readonly #unsent = new Set<DirectTarget>()

  get bufferedAmount(): number {
    let bytes = this.#pendingBytes
    for (const target of this.#unsent) bytes += target.writableLength
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
        this.#held?.respond()
      })
    }
  }

  /**
   * Answers a long-poll: at once when frames or the close are waiting, else when they arrive or
   * after `holdMs` with an empty body.
   * @throws RealtimeError `REQUEST_IN_FLIGHT` while another long-poll of this session is held.
   */
  poll(signal: AbortSignal, headers: Record<string, string>, holdMs: number): Promise<Response> {
    if (this.#held !== undefined) throw new RealtimeError(ErrorCode.RequestInFlight, 'Another long-poll for this session is in flight')
    this.attach()
    if (this.#pending.length > 0 || this.#closeHeader !== undefined) return Promise.resolve(this.#take(headers))
    return new Promise((resolve) => {
      const held: HeldPoll = {
        respond: () => {
          clearTimeout(held.timer)
          if (this.#held !== held) return
          this.#held = undefined
          resolve(this.#take(headers))
        },
        timer: setTimeout(() => held.respond(), holdMs),
      }
      this.#held = held
      signal.addEventListener('abort', () => held.respond(), { once: true })
    })
  }

  /**
   * The answer to an open the server refused at once (a limit, a server shutting down): the frames
   * it sent and its close, with the HTTP status of its close code (429 for 4429, 503 for 1001…).
   * The session goes at once.
   */
  refusal(headers: Record<string, string>): Response {
    return this.#take(headers, REFUSAL_STATUS[this.#closeCode] ?? (this.#closeCode >= 4400 && this.#closeCode < 4500 ? 400 : 503))
  }

  protected deliverClose(code: number, reason: string): void {
    this.#closeCode = code
    this.#closeHeader = formatCloseHeader(code, reason)
    this.#held?.respond()
  }

  protected abort(graceful: boolean): void {
    this.#held?.respond()
    // Nobody came for the frames: they go. Answers still being sent go too, unless the client asked to close.
    this.#pending = []
    this.#pendingBytes = 0
    if (!graceful) this.#cutOff()
  }

  #take(headers: Record<string, string>, status = 200): Response {
    const body = this.#pending.join('\n')
    this.#pending = []
    this.#pendingBytes = 0
    const closing = this.#closeHeader
    if (closing === undefined) this.detach()
    else this.remove()
    const response = new Response(body, {
      status,
      headers: { ...headers, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...(closing === undefined ? {} : { 'x-realtime-close': closing }) },
    })
    // A Node.js bridge writes the text straight out, without reading it back from the body stream.
    Object.defineProperty(response, DIRECT_BODY, { value: (target: DirectTarget) => this.#write(target, body, closing !== undefined) })
    return response
  }

  /** Writes an answer to a Node.js response, and counts it as buffered until it is sent. */
  #write(target: DirectTarget, body: string, last: boolean): true {
    target.end(body)
    if (target.writableLength > 0) {
      this.#unsent.add(target)
      target.once('close', () => this.#unsent.delete(target))
    }
    // After the close, what the client has not taken within closeTimeoutMs is cut off.
    if (last && this.#unsent.size > 0) unrefTimer(() => this.#cutOff(), this.closeTimeoutMs)
    return true
  }

  /** Drops the answers not sent yet, with their connections. */
  #cutOff(): void {
    for (const target of this.#unsent) target.destroy()
    this.#unsent.clear()
  }
}
