import { HttpSession } from '@org/realtime-core/http'

const encoder = new TextEncoder()

/** A sent frame kept for a stream that resumes with `Last-Event-ID`. */
interface Kept {
  id: number
  event: string
}

/**
 * One SSE connection. Every frame becomes an event with an increasing `id:`; the last frames are
 * kept (up to `resumeBytes`) so a stream that drops and comes back with `Last-Event-ID` continues
 * where it stopped. The close is an `event: close` whose data is `{ code, reason }`.
 */
export class SseSession extends HttpSession {
  #stream: ReadableStreamDefaultController<Uint8Array> | undefined
  #kept: Kept[] = []
  #keptBytes = 0
  #nextId = 1
  #unflushedBytes = 0
  #closeEvent: string | undefined

  constructor(
    id: string,
    graceMs: number,
    remove: () => void,
    readonly resumeBytes: number,
  ) {
    super(id, graceMs, remove)
  }

  get bufferedAmount(): number {
    return this.#stream === undefined ? this.#unflushedBytes : Math.max(0, -(this.#stream.desiredSize ?? 0))
  }

  send(frame: string): void {
    if (this.ended) return
    const event = `id: ${this.#nextId}\ndata: ${frame}\n\n`
    this.#keep({ id: this.#nextId++, event })
    this.#write(event)
  }

  /** Starts a response stream: from the beginning, or after event `lastEventId` when resuming. */
  stream(signal: AbortSignal, lastEventId?: number): ReadableStream<Uint8Array> | undefined {
    if (lastEventId !== undefined && !this.#canResumeAfter(lastEventId)) return undefined
    this.#stream?.close()
    let current: ReadableStreamDefaultController<Uint8Array> | undefined
    const start = (controller: ReadableStreamDefaultController<Uint8Array>): void => {
      current = controller
      this.#stream = controller
      this.attach()
      controller.enqueue(encoder.encode(`retry: 1000\nevent: session\ndata: ${this.id}\n\n`))
      for (const kept of this.#kept) if (lastEventId !== undefined && kept.id > lastEventId) controller.enqueue(encoder.encode(kept.event))
      this.#unflushedBytes = 0
      if (this.#closeEvent !== undefined) this.#finish()
    }
    const detached = (): void => {
      if (current === undefined || this.#stream !== current) return
      this.#stream = undefined
      this.detach()
    }
    // Queue sizes in bytes, with no high-water mark: `desiredSize` is minus the bytes not yet read.
    const stream = new ReadableStream<Uint8Array>({ start, cancel: detached }, new ByteLengthQueuingStrategy({ highWaterMark: 0 }))
    signal.addEventListener('abort', detached, { once: true })
    return stream
  }

  /** Writes a comment line so proxies do not cut an idle stream. */
  keepAlive(): void {
    this.#stream?.enqueue(encoder.encode(': keep-alive\n\n'))
  }

  protected deliverClose(code: number, reason: string): void {
    this.#closeEvent = `event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`
    if (this.#stream !== undefined) this.#finish()
  }

  protected abort(): void {
    const stream = this.#stream
    this.#stream = undefined
    try {
      stream?.error(new Error('terminated'))
    } catch {
      // already closed
    }
  }

  #finish(): void {
    const stream = this.#stream
    this.#stream = undefined
    stream?.enqueue(encoder.encode(this.#closeEvent as string))
    stream?.close()
    this.remove()
  }

  #write(event: string): void {
    if (this.#stream === undefined) this.#unflushedBytes += event.length
    else this.#stream.enqueue(encoder.encode(event))
  }

  #keep(kept: Kept): void {
    this.#kept.push(kept)
    this.#keptBytes += kept.event.length
    while (this.#keptBytes > this.resumeBytes && this.#kept.length > 1) this.#keptBytes -= (this.#kept.shift() as Kept).event.length
  }

  /** Whether every event after `lastEventId` is still kept. */
  #canResumeAfter(lastEventId: number): boolean {
    const oldest = this.#kept[0]?.id ?? this.#nextId
    return lastEventId >= oldest - 1 && lastEventId < this.#nextId
  }
}
