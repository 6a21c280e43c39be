import { ReceivedFrames, SentFrames, type ServerFrame } from '@org/realtime-core'

/** A numbered frame sent and not yet confirmed by the server, with the acknowledgement it awaits. */
interface SentFrame {
  readonly s: number
  readonly frame: string
  readonly ackId_: number | undefined
}

/**
 * The client's half of a resumable session: numbers the events and publishes it sends, keeps them
 * until the server confirms them, sends them again after a resume, and confirms the numbered
 * frames it receives (see "Sequence numbers" in `docs/protocol.md`).
 */
export class Session {
  /** The secret that resumes the session after a drop; undefined when the server keeps no sessions. */
  token_: string | undefined
  /** The numbered frames received. */
  readonly received_ = new ReceivedFrames()
  /** Acknowledgements awaited for numbered frames: a resumed session answers them, however long after. */
  readonly acks_ = new Set<number>()
  readonly #send: (text: string) => void
  /** Last sequence number sent. */
  #sent = 0
  /** Numbered frames the server has not confirmed yet, oldest first. */
  readonly #unconfirmed = new SentFrames<SentFrame>()

  /** `send`: writes a frame to the current socket, if there is one. */
  constructor(send: (text: string) => void) {
    this.#send = send
  }

  /**
   * `encoded`, numbered and kept until confirmed when it is an event or publish (`numbered`) on a
   * session that can be resumed.
   */
  number_(encoded: string, ackId: number | undefined, numbered: boolean): string {
    if (numbered && this.token_ !== undefined) {
      const s = ++this.#sent
      encoded = `{"s":${s},${encoded.slice(1)}`
      this.#unconfirmed.push({ s, frame: encoded, ackId_: ackId })
      if (ackId !== undefined) this.acks_.add(ackId)
    }
    return encoded
  }

  /**
   * Sees every frame from the server first: confirms what the server received (`rcv`, numbered
   * `ack`s), counts numbered frames for the next `rcv` (sent before the client's `pong` too), and
   * returns false for a numbered frame already received, sent again after a resume.
   */
  receive_(frame: ServerFrame): boolean {
    if (frame.t === 'rcv') this.#unconfirmed.confirm(frame.s)
    else if (frame.t === 'ping') this.received_.pending > 0 && this.#confirm()
    else if ((frame.t === 'event' || frame.t === 'ack') && frame.s !== undefined) {
      if (frame.s <= this.received_.last) return false
      if (this.received_.received(frame.s)) this.#confirm()
      // Frames arrive in order: the answer to one confirms it and every frame sent before it.
      if (frame.t === 'ack') {
        const answered = this.#unconfirmed.frames.find((sent) => sent.ackId_ === frame.id)
        if (answered !== undefined) this.#unconfirmed.confirm(answered.s)
      }
    }
    return true
  }

  #confirm(): void {
    this.received_.pending = 0
    this.#send(`{"t":"rcv","s":${this.received_.last}}`)
  }

  /** The session was resumed and the server has every frame up to `s`: the rest go again, before anything new. */
  resume_(s: number): void {
    this.#unconfirmed.confirm(s)
    for (const sent of this.#unconfirmed.frames) this.#send(sent.frame)
  }

  /**
   * The session ended: nothing of it is sent again and the numbering starts over. Returns how
   * many emits without acknowledgement may not have reached the server; the acknowledgements
   * still awaited are in `acks_` until the caller rejects them.
   */
  restart_(): number {
    const plain = this.#unconfirmed.frames.filter((sent) => sent.ackId_ === undefined).length
    this.#unconfirmed.clear()
    this.#sent = 0
    this.received_.last = this.received_.pending = 0
    return plain
  }
}
