import { ErrorCode, RealtimeError } from '@org/realtime-core'
import { DIRECT_BODY, HttpSession, formatCloseHeader, type DirectTarget } from '@org/realtime-core/http'

/** A long-poll held open until frames arrive or the hold time ends. */
interface HeldPoll {
  respond(): void
  timer: ReturnType<typeof setTimeout>
}

/**
 * One long-polling connection. Frames wait in a queue; a GET takes them all, one per line, and is
 * held up to `holdMs` when there are none. The close travels in the `x-realtime-close` header of
 * the last response: `<code> <reason, URI-encoded>`.
 */
export class PollingSession extends HttpSession {
  #pending: string[] = []
  #pendingBytes = 0
  #held: HeldPoll | undefined
  #flushQueued = false
  #closeHeader: string | undefined

  get bufferedAmount(): number {
    return this.#pendingBytes
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

  protected deliverClose(code: number, reason: string): void {
    this.#closeHeader = formatCloseHeader(code, reason)
    this.#held?.respond()
  }

  protected abort(): void {
    this.#held?.respond()
  }

  #take(headers: Record<string, string>): Response {
    const body = this.#pending.join('\n')
    this.#pending = []
    this.#pendingBytes = 0
    const closing = this.#closeHeader
    if (closing === undefined) this.detach()
    else this.remove()
    const response = new Response(body, {
      status: 200,
      headers: { ...headers, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...(closing === undefined ? {} : { 'x-realtime-close': closing }) },
    })
    // A Node.js bridge writes the text straight out, without reading it back from the body stream.
    Object.defineProperty(response, DIRECT_BODY, {
      value: (target: DirectTarget) => {
        target.end(body)
        return true
      },
    })
    return response
  }
}
