import { HttpSession, type HttpExchange, type HttpSessionTiming } from '@org/realtime-core/http'
import { EventStreamBody, type EventStreamOwner } from './event-stream-body.js'

/** `id: <n>\ndata: <frame>\n\n` is the frame plus this many characters and the digits of `n`. */
const EVENT_OVERHEAD = 'id: \ndata: \n\n'.length

/**
 * One SSE connection. Every frame becomes an event with an increasing `id:`; the last frames are
 * kept (up to `resumeBytes`) so a stream that drops and comes back with `Last-Event-ID` continues
 * where it stopped. The close is an `event: close` whose data is `{ code, reason }`.
 *
 * The events of one turn of the event loop leave together, in one write to the stream, at the
 * end of that turn.
 *
 * Every stream begins with a `session` event: `{"sid","key","resume"}`, the session's id and key
 * (for the `x-realtime-key` header of POSTs and DELETEs) and a single-use token for re-opening the
 * stream (`&resume=` in its URL), replaced on each stream.
 */
export class SseSession extends HttpSession implements EventStreamOwner {
  /** Sessions with events waiting to be written at the end of this turn. */
  static readonly #waiting = new Set<SseSession>()
  static #flushQueued = false
  static readonly #flushAll = (): void => {
    SseSession.#flushQueued = false
    for (const session of SseSession.#waiting) session.#flush()
    SseSession.#waiting.clear()
  }

  #body: EventStreamBody | undefined
  /** Events of this turn, not yet written to the stream. */
  #batch = ''
  /** Frames kept for resuming: event ids `#keptFirstId`… are `#kept[#keptHead]`… */
  #kept: string[] = []
  #keptHead = 0
  #keptFirstId = 1
  #keptBytes = 0
  #nextId = 1
  #unflushedBytes = 0
  #closeEvent: string | undefined

  constructor(
    id: string,
    timing: HttpSessionTiming,
    unregister: (session: HttpSession) => void,
    readonly resumeBytes: number,
  ) {
    super(id, timing, unregister)
  }

  get bufferedAmount(): number {
    return this.#body === undefined ? this.#unflushedBytes : this.#batch.length + this.#body.bufferedAmount
  }

  send(frame: string): void {
    if (this.ended) return
    const id = this.#nextId++
    const event = `id: ${id}\ndata: ${frame}\n\n`
    this.#keep(frame, event.length)
    this.#write(event)
  }

  /**
   * Answers `exchange` with the event stream, from the events after `lastEventId` (0: from the
   * first): its head, the `session` event and those events leave in one write. Returns false, and
   * answers nothing, when some of those events are no longer kept.
   */
  stream(exchange: HttpExchange, lastEventId: number, headers: Record<string, string>): boolean {
    if (!this.#canResumeAfter(lastEventId)) return false
    // The stream this one replaces ends at once: what it had not sent is replayed from the kept events.
    this.#body?.stop()
    this.#batch = ''
    const session = JSON.stringify({ sid: this.id, key: this.key, resume: this.newResumeToken() })
    let text = `retry: 1000\nevent: session\ndata: ${session}\n\n`
    for (let id = Math.max(lastEventId + 1, this.#keptFirstId); id < this.#nextId; id++) {
      text += `id: ${id}\ndata: ${this.#kept[this.#keptHead + id - this.#keptFirstId]}\n\n`
    }
    const body = new EventStreamBody(exchange.stream(200, headers, text), this, this.closeTimeoutMs)
    this.#body = body
    this.attach()
    this.#unflushedBytes = 0
    if (this.#closeEvent !== undefined) this.#finish()
    return true
  }

  /** Writes a comment line so proxies do not cut an idle stream. */
  keepAlive(): void {
    if (this.#body !== undefined) this.#write(': keep-alive\n\n')
  }

  protected deliverClose(code: number, reason: string): void {
    this.#closeEvent = `event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`
    if (this.#body !== undefined) this.#finish()
  }

  protected abort(graceful: boolean): void {
    const body = this.#body
    this.#body = undefined
    this.#batch = ''
    if (graceful) body?.stop()
    else body?.fail()
  }

  /**
   * The client of `body` went away: the session waits for it to come back, unless a newer stream
   * replaced it.
   * @internal
   */
  bodyGone(body: EventStreamBody): void {
    if (this.#body !== body) return
    this.#body = undefined
    this.#batch = ''
    this.detach()
  }

  #finish(): void {
    const body = this.#body
    const text = this.#batch + (this.#closeEvent as string)
    this.#body = undefined
    this.#batch = ''
    body?.end(text)
    this.remove()
  }

  #write(text: string): void {
    if (this.#body === undefined) {
      this.#unflushedBytes += text.length
      return
    }
    if (this.#batch.length === 0) {
      SseSession.#waiting.add(this)
      if (!SseSession.#flushQueued) {
        SseSession.#flushQueued = true
        queueMicrotask(SseSession.#flushAll)
      }
    }
    this.#batch += text
  }

  #flush(): void {
    if (this.#batch.length === 0) return
    const text = this.#batch
    this.#batch = ''
    this.#body?.write(text)
  }

  #keep(frame: string, eventLength: number): void {
    flatten(frame)
    // The first frame in an array of its own size; `push` would make room for 16 more.
    if (this.#kept.length === 0) this.#kept = [frame]
    else this.#kept.push(frame)
    this.#keptBytes += eventLength
    while (this.#keptBytes > this.resumeBytes && this.#kept.length - this.#keptHead > 1) {
      this.#keptBytes -= this.#eventLength(this.#keptFirstId++, this.#kept[this.#keptHead] as string)
      this.#kept[this.#keptHead++] = ''
    }
    // Drop the forgotten slots now and then, rather than shifting the array on every event.
    if (this.#keptHead > 64 && this.#keptHead * 2 > this.#kept.length) {
      this.#kept = this.#kept.slice(this.#keptHead)
      this.#keptHead = 0
    }
  }

  #eventLength(id: number, frame: string): number {
    return EVENT_OVERHEAD + String(id).length + frame.length
  }

  /** Whether every event after `lastEventId` is still kept. */
  #canResumeAfter(lastEventId: number): boolean {
    const oldest = this.#kept.length > this.#keptHead ? this.#keptFirstId : this.#nextId
    return lastEventId >= oldest - 1 && lastEventId < this.#nextId
  }
}

/**
 * V8 keeps a string built from pieces (a frame encoded in parts) as a tree of those pieces;
 * reading a character joins it into one flat string in place, so that a kept frame costs its
 * characters rather than its pieces and the nodes joining them (the welcome: 264 bytes → 200).
 * @see https://v8.dev/blog/fast-string-concatenation (cons strings and flattening)
 */
function flatten(text: string): void {
  if (text.length > 0) text.charCodeAt(0)
}
