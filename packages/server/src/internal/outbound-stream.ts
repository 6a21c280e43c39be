import { SentFrames, encodeFrame, type ServerFrame } from '@org/realtime-core'

/**
 * The frames a server sends one session that it must be able to send again after a reconnect
 * (direct events and the answers to numbered client frames): each gets the next sequence number
 * `s` and is kept until the client confirms it with a `rcv` frame. Past `maxFrames` unconfirmed
 * frames, or `maxBytes` of them, the stream stops keeping them, and the session can no longer be
 * resumed. Bytes are counted as the encoded frames' length in characters.
 */
export class OutboundStream {
  #seq = 0
  readonly #kept = new SentFrames()
  #overflowed = false
  readonly #maxFrames: number
  readonly #maxBytes: number

  constructor(maxFrames: number, maxBytes = Infinity) {
    this.#maxFrames = maxFrames
    this.#maxBytes = maxBytes
  }

  /**
   * A stream that moved from another node: frame `seq` was the last numbered, and `frames` (the
   * last of which is frame `seq`) are still unconfirmed.
   */
  static restore(seq: number, frames: readonly string[], maxFrames: number, maxBytes = Infinity): OutboundStream {
    const stream = new OutboundStream(maxFrames, maxBytes)
    stream.#seq = seq
    let s = seq - frames.length
    for (const frame of frames) stream.#kept.push({ s: ++s, frame })
    return stream
  }

  /** The frames still unconfirmed, in order. */
  unconfirmed(): string[] {
    return this.#kept.frames.map((kept) => kept.frame)
  }

  /** The sequence number of the last frame numbered. */
  get seq(): number {
    return this.#seq
  }

  /** Whether frames were dropped unconfirmed, so a resume cannot replay them. */
  get overflowed(): boolean {
    return this.#overflowed
  }

  /**
   * Numbers `frame`, encodes it and keeps it until confirmed.
   * @throws RealtimeError `INVALID_PAYLOAD` when it cannot be encoded; no number is used then.
   */
  add(frame: ServerFrame & { s?: number }): string {
    frame.s = this.#seq + 1
    const encoded = encodeFrame(frame)
    this.#seq++
    if (!this.#overflowed) {
      this.#kept.push({ s: this.#seq, frame: encoded })
      if (this.#kept.frames.length > this.#maxFrames || this.#kept.bytes > this.#maxBytes) {
        this.#overflowed = true
        this.#kept.clear()
      }
    }
    return encoded
  }

  /** Whether a `rcv` up to `s` confirms a frame still kept: what a well-behaved client sends. */
  confirms(s: number): boolean {
    const oldest = this.#kept.frames[0]
    return oldest !== undefined && oldest.s <= s && s <= this.#seq
  }

  /** The client received every frame up to `s`: forget them. */
  confirm(s: number): void {
    this.#kept.confirm(s)
  }

  /** The frames after `s`, to send again; undefined when some of them are no longer kept. */
  after(s: number): string[] | undefined {
    if (this.#overflowed || s > this.#seq) return undefined
    this.#kept.confirm(s)
    const first = this.#kept.frames[0]?.s ?? this.#seq + 1
    return first === s + 1 ? this.unconfirmed() : undefined
  }
}
