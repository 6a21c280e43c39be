import { unrefTimer, type DirectTarget } from '@org/realtime-core/http'

const encoder = new TextEncoder()

/**
 * The body of one event-stream response, as text. Read as a `ReadableStream` (fetch-API runtimes),
 * it hands over everything written since the last read in one chunk, when the reader asks for it:
 * the text not yet read is the backlog (`bufferedAmount`). Taken over by a Node.js bridge
 * (`takeOver`), the text goes straight to the response and the backlog is the response's; the
 * stream is then let go, as it is never read.
 *
 * An ended body whose client has not taken all of it within `closeTimeoutMs` is cut off: the
 * response is destroyed (or the stream errored) and the backlog let go.
 */
export class EventStreamBody {
  #stream: ReadableStream<Uint8Array> | undefined
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined
  /** The reader cancelled, or the client of a taken-over body went away. */
  readonly #onGone: () => void
  readonly #closeTimeoutMs: number
  /** Written, not yet handed to the reader. */
  #queued = ''
  /** The reader waits for text. */
  #wanted = false
  /** The stream has been read from, or given text, so it can no longer be taken over. */
  #used = false
  #target: DirectTarget | undefined
  /** Nothing more is written: ended, failed or gone. */
  #done = false
  /** Ended, and the stream is to close once its reader has taken what is queued. */
  #closing = false
  /** The response or stream is over: everything sent, cut off, or the client gone. */
  #over = false

  /**
   * `onGone` runs when the reader cancels the stream or, once taken over, the client goes away
   * before the body ended. `closeTimeoutMs` bounds how long an ended body waits for its client.
   */
  constructor(onGone: () => void, closeTimeoutMs: number) {
    this.#onGone = onGone
    this.#closeTimeoutMs = closeTimeoutMs
    this.#stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller
        },
        pull: () => {
          this.#used = true
          if (this.#queued.length === 0) this.#wanted = true
          else this.#handOver()
        },
        cancel: () => this.#gone(),
      },
      { highWaterMark: 0 },
    )
  }

  /** The body as a stream, for a `Response`; no longer there once taken over. */
  get stream(): ReadableStream<Uint8Array> {
    if (this.#stream === undefined) throw new Error('The body was taken over')
    return this.#stream
  }

  /** Characters written but not yet read by the client's side (bytes, for ASCII). */
  get bufferedAmount(): number {
    if (this.#target !== undefined) return this.#target.writableLength
    return this.#queued.length - Math.min(0, this.#controller?.desiredSize ?? 0)
  }

  write(text: string): void {
    // Nothing to hand over: an empty chunk would only wake the reader.
    if (this.#done || text.length === 0) return
    if (this.#target !== undefined) {
      this.#target.write(text)
      return
    }
    this.#queued += text
    if (this.#wanted) this.#handOver()
  }

  /** Writes `text`, then ends the body; cuts it off if the client has not taken it all within `closeTimeoutMs`. */
  end(text = ''): void {
    if (this.#done) return
    this.write(text)
    this.#done = true
    if (this.#target !== undefined) this.#target.end()
    else {
      this.#used = true
      this.#closing = true
      if (this.#queued.length === 0) this.#finish()
      else if (this.#wanted) this.#handOver()
    }
    if (!this.#over) unrefTimer(() => this.#cutOff(), this.#closeTimeoutMs)
  }

  /**
   * Ends the body cleanly at once, without what it has not handed over yet: for a client that
   * closed its session (DELETE) or went away, and for a stream a resumed one replaces. A fetch-API
   * stream closes (its reader sees the end, never an error); a Node.js response ends after what
   * was written to it, and is cut off if that is not sent within `closeTimeoutMs`.
   */
  stop(): void {
    if (this.#done) return
    this.#done = true
    this.#used = true
    this.#queued = ''
    if (this.#target === undefined) return this.#finish()
    this.#target.end()
    if (!this.#over) unrefTimer(() => this.#cutOff(), this.#closeTimeoutMs)
  }

  /** Ends the body as failed, at once: what was not sent is dropped. */
  fail(): void {
    if (this.#done) return
    this.#done = true
    this.#used = true
    this.#cutOff()
  }

  /**
   * Hands the body to a Node.js response: what is queued is written at once, the rest as it
   * comes, and the response closing before the body ended means the client went away. Returns
   * false, and changes nothing, once the stream has been read from.
   */
  takeOver(target: DirectTarget): boolean {
    if (this.#used || this.#target !== undefined) return false
    this.#target = target
    this.#stream = undefined
    this.#controller = undefined
    target.once('close', () => {
      this.#over = true
      this.#gone()
    })
    if (this.#queued.length > 0) target.write(this.#queued)
    this.#queued = ''
    return true
  }

  /** Drops what was not sent, with the response (and its connection), unless it is over already. */
  #cutOff(): void {
    if (this.#over) return
    this.#over = true
    this.#queued = ''
    if (this.#target !== undefined) this.#target.destroy()
    else this.#controller?.error(new Error('terminated'))
  }

  #gone(): void {
    if (this.#done) return
    this.#done = true
    this.#over = true
    this.#queued = ''
    this.#onGone()
  }

  #handOver(): void {
    this.#wanted = false
    const text = this.#queued
    this.#queued = ''
    this.#controller?.enqueue(encoder.encode(text))
    if (this.#closing) this.#finish()
  }

  #finish(): void {
    this.#over = true
    this.#controller?.close()
  }
}
