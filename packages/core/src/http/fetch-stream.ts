import type { HttpStream } from './http-exchange.js'

const encoder = new TextEncoder()

/**
 * A streamed answer for a fetch-API `Response`: the body is a `ReadableStream` that hands over
 * everything written since the last read in one chunk, when the reader asks for it; the text not
 * yet read is the backlog (`writableLength`). The reader cancelling, or the request's signal
 * aborting (a runtime need not cancel the body of a request that went away), means the client is
 * gone.
 */
export class FetchStream implements HttpStream {
  readonly body: ReadableStream<Uint8Array>
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined
  /** Written, not yet handed to the reader. */
  #queued = ''
  /** The reader waits for text. */
  #wanted = false
  /** Ended: the stream closes once its reader has taken what is queued. */
  #closing = false
  /** Over: everything taken, cut off, or the client gone. */
  #over = false
  #listeners: Array<() => void> = []

  constructor(signal: AbortSignal | undefined) {
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller
        },
        pull: () => {
          if (this.#queued.length === 0) this.#wanted = true
          else this.#handOver()
        },
        cancel: () => this.#closed(),
      },
      { highWaterMark: 0 },
    )
    // The request went away: the stream ends (its reader sees the end, never an error).
    signal?.addEventListener('abort', () => this.#close(), { once: true })
  }

  get closed(): boolean {
    return this.#over
  }

  get writableLength(): number {
    return this.#queued.length - Math.min(0, this.#controller?.desiredSize ?? 0)
  }

  write(text: string): void {
    // Nothing to hand over: an empty chunk would only wake the reader.
    if (this.#over || this.#closing || text.length === 0) return
    this.#queued += text
    if (this.#wanted) this.#handOver()
  }

  end(text = ''): void {
    if (this.#over || this.#closing) return
    this.write(text)
    this.#closing = true
    if (this.#queued.length === 0) this.#finish()
    else if (this.#wanted) this.#handOver()
  }

  /** Ends the stream at once, cleanly: what its reader has not taken yet is dropped. */
  stop(): void {
    this.#close()
  }

  destroy(): void {
    if (this.#over) return
    this.#queued = ''
    this.#controller?.error(new Error('terminated'))
    this.#closed()
  }

  onClose(listener: () => void): void {
    this.#listeners.push(listener)
  }

  #handOver(): void {
    this.#wanted = false
    const text = this.#queued
    this.#queued = ''
    this.#controller?.enqueue(encoder.encode(text))
    if (this.#closing) this.#finish()
  }

  #finish(): void {
    this.#controller?.close()
    this.#closed()
  }

  #close(): void {
    if (this.#over) return
    this.#queued = ''
    this.#controller?.close()
    this.#closed()
  }

  #closed(): void {
    if (this.#over) return
    this.#over = true
    this.#queued = ''
    const listeners = this.#listeners
    this.#listeners = []
    for (const listener of listeners) listener()
  }
}
