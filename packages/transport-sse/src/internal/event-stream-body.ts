import { unrefTimer, type HttpStream } from '@org/realtime-core/http'

/** Who is told when the client of a body goes away before the body ended. */
export interface EventStreamOwner {
  /** The client of `body` went away before it ended. */
  bodyGone(body: EventStreamBody): void
}

/**
 * The body of one event-stream response, on either runtime (a Node.js response written directly,
 * or a fetch-API stream): what is written goes to the response as it comes, and the response
 * closing before the body ended means the client went away.
 *
 * An ended body whose client has not taken all of it within `closeTimeoutMs` is cut off: the
 * response is destroyed and the backlog let go.
 */
export class EventStreamBody {
  readonly #target: HttpStream
  readonly #closeTimeoutMs: number
  /** Nothing more is written: ended, failed or gone. */
  #done = false
  /** The response is over: everything sent, cut off, or the client gone. */
  #over = false

  /**
   * `owner.bodyGone(body)` runs when the client goes away before the body ended. `closeTimeoutMs`
   * bounds how long an ended body waits for its client.
   */
  constructor(target: HttpStream, owner: EventStreamOwner, closeTimeoutMs: number) {
    this.#target = target
    this.#closeTimeoutMs = closeTimeoutMs
    target.onClose(() => {
      this.#over = true
      if (this.#done) return
      this.#done = true
      owner.bodyGone(this)
    })
  }

  /** Characters written but not yet taken by the client's side (bytes, for ASCII). */
  get bufferedAmount(): number {
    return this.#over ? 0 : this.#target.writableLength
  }

  write(text: string): void {
    // Nothing to hand over: an empty chunk would only wake the reader.
    if (this.#done || text.length === 0) return
    this.#target.write(text)
  }

  /** Writes `text`, then ends the body; cuts it off if the client has not taken it all within `closeTimeoutMs`. */
  end(text = ''): void {
    if (this.#done) return
    this.#done = true
    this.#target.end(text)
    this.#cutOffLater()
  }

  /**
   * Ends the body cleanly at once: for a client that closed its session (DELETE) or went away,
   * and for a stream a resumed one replaces. A fetch-API stream closes without what its reader has
   * not taken; a Node.js response ends after what was written to it, and is cut off if that is not
   * sent within `closeTimeoutMs`.
   */
  stop(): void {
    if (this.#done) return
    this.#done = true
    this.#target.stop()
    this.#cutOffLater()
  }

  /** Ends the body as failed, at once: what was not sent is dropped. */
  fail(): void {
    if (this.#done) return
    this.#done = true
    this.#cutOff()
  }

  #cutOffLater(): void {
    if (!this.#over) unrefTimer(() => this.#cutOff(), this.#closeTimeoutMs)
  }

  /** Drops what was not sent, with the response (and its connection), unless it is over already. */
  #cutOff(): void {
    if (this.#over) return
    this.#over = true
    this.#target.destroy()
  }
}
