import { HttpSession, type HttpExchange, type HttpSessionTiming, type HttpStream } from '@org/realtime-core/http'
import { endEventStream, stopEventStream } from './end-event-stream.js'

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
 *
 * Numbered (`numbered`), a frame's number is its event id: a POST's answer holds the id of its
 * first frame, then the frames, and the `close` event says the id the next event would have had
 * (`next`); the `session` event says `"answers":1`.
 *
 * Its own methods are `private` rather than `#`: a class with `#` methods gives each instance a
 * field of its own (its brand), 8 bytes per session for nothing.
 */
export class SseSession extends HttpSession {
  /** Sessions with events waiting to be written at the end of this turn. */
  static readonly #waiting = new Set<SseSession>()
  static #flushQueued = false
  static readonly #flushAll = (): void => {
    SseSession.#flushQueued = false
    for (const session of SseSession.#waiting) session.flush()
    SseSession.#waiting.clear()
  }

  /** The open event stream; let go of when it ends, fails, is replaced or its client goes away. */
  #body: HttpStream | undefined
  /** Events of this turn, not yet written to the stream. */
  #batch = ''
  /**
   * Frames kept for resuming, those of the last events sent: one frame alone (most sessions, idle
   * ones, keep just the `welcome`), or more in an array, `#kept[#keptHead]`…
   */
  #kept: string | string[] | undefined
  #keptHead = 0
  #keptBytes = 0
  #nextId = 1
  #unflushedBytes = 0
  #closeEvent: string | undefined
  /** Frames for the answer of the POST being handled, and the id of the first; undefined when none is. */
  #forPost: string[] | undefined
  #forPostFirstId = 0

  constructor(
    id: string,
    timing: HttpSessionTiming,
    unregister: (session: HttpSession) => void,
    readonly resumeBytes: number,
  ) {
    super(id, timing, unregister)
  }

  get bufferedAmount(): number {
    const stream = this.#body === undefined ? this.#unflushedBytes : this.#batch.length + this.#body.writableLength
    // Answers to POSTs a client does not read count too: it is a slow consumer like one that does not read its stream.
    return stream + this.unsentBytes
  }

  send(frame: string): void {
    if (this.ended) return
    const id = this.#nextId++
    const event = `id: ${id}\ndata: ${frame}\n\n`
    this.keep(frame, event.length)
    const forPost = this.#forPost
    if (forPost === undefined) this.queue(event)
    else if (forPost.push(frame) === 1) this.#forPostFirstId = id
  }

  /** A numbered POST arrived: frames sent from now on wait for its answer. */
  override postStarted(): void {
    this.#forPost = []
  }

  /** The numbered POST failed (its answer is an error): the frames kept for it go down the stream. */
  override postEnded(): void {
    const frames = this.#forPost ?? []
    this.#forPost = undefined
    frames.forEach((frame, index) => this.queue(`id: ${this.#forPostFirstId + index}\ndata: ${frame}\n\n`))
  }

  /** Answers the numbered POST whose frames were all handed over: 200 with the frames it caused, after the id of the first; 204 when none. */
  override answerPost(exchange: HttpExchange, cors: Record<string, string>): void {
    const frames = this.#forPost ?? []
    this.#forPost = undefined
    if (frames.length === 0) exchange.reply(204, cors)
    else this.answer(exchange, 200, cors, `${this.#forPostFirstId}\n${frames.join('\n')}`)
  }

  /**
   * Answers `exchange` with the event stream, from the events after `lastEventId` (0: from the
   * first): its head, the `session` event, those events and the frames sent in this turn (the
   * `welcome` of a `hello` in the URL, when the handshake needs no promise) leave in one write, at
   * the end of the turn. Returns false, and answers nothing, when some of those events are no
   * longer kept.
   */
  stream(exchange: HttpExchange, lastEventId: number, headers: Record<string, string>): boolean {
    if (!this.canResumeAfter(lastEventId)) return false
    // The stream this one replaces ends at once: what it had not sent is replayed from the kept events.
    const replaced = this.#body
    this.#body = undefined
    this.#batch = ''
    if (replaced !== undefined) stopEventStream(replaced, this.closeTimeoutMs)
    const resume = this.newResumeToken()
    const session = JSON.stringify(this.numbered ? { sid: this.id, key: this.key, resume, answers: 1 } : { sid: this.id, key: this.key, resume })
    let text = `retry: 1000\nevent: session\ndata: ${session}\n\n`
    for (let id = Math.max(lastEventId + 1, this.#nextId - this.keptCount()); id < this.#nextId; id++) {
      text += `id: ${id}\ndata: ${this.keptFrame(id)}\n\n`
    }
    const body = exchange.stream(200, headers)
    this.#body = body
    this.queue(text)
    this.attach()
    this.#unflushedBytes = 0
    // Last: a response that is over already (its client gone meanwhile) calls this at once.
    // Bound rather than a closure over `body`: a function without a context of its own.
    body.onClose(this.bodyClosed.bind(this))
    if (this.#closeEvent !== undefined) this.finish()
    return true
  }

  /** Writes a comment line so proxies do not cut an idle stream. */
  keepAlive(): void {
    if (this.#body !== undefined) this.queue(': keep-alive\n\n')
  }

  protected deliverClose(code: number, reason: string): void {
    // Numbered, the close says how many events come before it: an answer to a POST may still be on its way.
    const close = this.numbered ? { code, reason, next: this.#nextId } : { code, reason }
    this.#closeEvent = `event: close\ndata: ${JSON.stringify(close)}\n\n`
    if (this.#body !== undefined) this.finish()
  }

  protected abort(graceful: boolean): void {
    const body = this.#body
    this.#body = undefined
    this.#batch = ''
    if (body === undefined) return
    if (graceful) stopEventStream(body, this.closeTimeoutMs)
    else body.destroy()
  }

  /**
   * A stream of the session's is over. If it is the session's open stream, its client went away:
   * the session waits for it to come back. (A stream the session ended, failed or replaced is no
   * longer its open one.)
   */
  private bodyClosed(): void {
    if (this.#body?.closed !== true) return
    this.#body = undefined
    this.#batch = ''
    this.detach()
  }

  private finish(): void {
    const body = this.#body
    const text = this.#batch + (this.#closeEvent as string)
    this.#body = undefined
    this.#batch = ''
    if (body !== undefined) endEventStream(body, text, this.closeTimeoutMs)
    this.remove()
  }

  private queue(text: string): void {
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

  private flush(): void {
    if (this.#batch.length === 0) return
    const text = this.#batch
    this.#batch = ''
    this.#body?.write(text)
  }

  private keep(frame: string, length: number): void {
    flatten(frame)
    const kept = this.#kept
    this.#keptBytes += length
    // A frame alone needs no array; a second one makes one of their size (`push` would make room for 16 more).
    if (kept === undefined) this.#kept = frame
    else if (typeof kept === 'string') this.#kept = [kept, frame]
    else kept.push(frame)
    this.forgetOldest()
  }

  /** Forgets the oldest frames while they are over `resumeBytes`, always keeping the newest. */
  private forgetOldest(): void {
    const kept = this.#kept
    if (typeof kept !== 'object') return
    // The last frame kept is that of the last event sent.
    for (let id = this.#nextId - (kept.length - this.#keptHead); this.#keptBytes > this.resumeBytes && kept.length - this.#keptHead > 1; id++) {
      this.#keptBytes -= eventLength(id, kept[this.#keptHead] as string)
      kept[this.#keptHead++] = ''
    }
    // Drop the forgotten slots now and then, rather than shifting the array on every event.
    if (this.#keptHead > 64 && this.#keptHead * 2 > kept.length) {
      this.#kept = kept.slice(this.#keptHead)
      this.#keptHead = 0
    }
  }

  /** How many frames are kept: those of the events up to the last sent. */
  private keptCount(): number {
    const kept = this.#kept
    return kept === undefined ? 0 : typeof kept === 'string' ? 1 : kept.length - this.#keptHead
  }

  /** The kept frame of event `id`, one of the last `keptCount()` events sent. */
  private keptFrame(id: number): string {
    const kept = this.#kept
    return typeof kept === 'object' ? (kept[kept.length - (this.#nextId - id)] as string) : (kept as string)
  }

  /** Whether every event after `lastEventId` is still kept. */
  private canResumeAfter(lastEventId: number): boolean {
    const oldest = this.#nextId - this.keptCount()
    return lastEventId >= oldest - 1 && lastEventId < this.#nextId
  }
}

/** The length of the event of frame `frame` with id `id`. */
function eventLength(id: number, frame: string): number {
  return EVENT_OVERHEAD + String(id).length + frame.length
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
