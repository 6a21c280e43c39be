import type { DirectTarget } from '@org/realtime-core/http'

const encoder = new TextEncoder()


/**
 * The body of one event-stream response, as text. Read as a `ReadableStream` (fetch-API runtimes),
 * it hands over everything written since the last read in one chunk, when the reader asks for it:
 * the text not yet read is the backlog (`bufferedAmount`). Taken over by a Node.js bridge
 * (`takeOver`), the text goes straight to the response and the backlog is the response's; the
 * stream is then let go, as it is never read.
 */
export class EventStreamBody {
  #stream: ReadableStream<Uint8Array> | undefined
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined
  /** The reader cancelled, or the client of a taken-over body went away. */
  readonly #onGone: () => void
  /** Written, not yet handed to the reader. */
  #queued = ''
  /** The reader waits for text. */
  #wanted = false
  /** The stream has been read from, or given text, so it can no longer be taken over. */
  #used = false
  #target: DirectTarget | undefined
  #done = false

  /** `onGone` runs when the reader cancels the stream or, once taken over, the client goes away. */
  constructor(onGone: () => void) {
    this.#onGone = onGone
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
    if (this.#done) return
    if (this.#target !== undefined) {
      this.#target.write(text)
      return
    }
    this.#queued += text
    if (this.#wanted) this.#handOver()
  }

  /** Writes `text`, then ends the body. */
  end(text = ''): void {
    if (this.#done) return
    this.write(text)
    this.#done = true
    if (this.#target !== undefined) {
      this.#target.end()
      return
    }
    this.#used = true
    if (this.#queued.length > 0) this.#controller?.enqueue(encoder.encode(this.#queued))
    this.#queued = ''
    this.#controller?.close()
  }

  /** Ends the body as failed: what was not read yet is dropped. */
  fail(): void {
    if (this.#done) return
    this.#done = true
    this.#queued = ''
    if (this.#target !== undefined) this.#target.end()
    else {
      this.#used = true
      this.#controller?.error(new Error('terminated'))
    }
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
    target.once('close', () => this.#gone())
    if (this.#queued.length > 0) target.write(this.#queued)
    this.#queued = ''
    return true
  }

  #gone(): void {
    if (this.#done) return
    this.#done = true
    this.#queued = ''
    this.#onGone()
  }

  #handOver(): void {
    this.#wanted = false
    const text = this.#queued
    this.#queued = ''
    this.#controller?.enqueue(encoder.encode(text))
  }
}
