import { CONFIRM_EVERY } from './protocol.js'

/** A numbered frame kept until the other side confirms it: its sequence number and encoded text. */
export interface NumberedFrame {
  readonly s: number
  readonly frame: string
}

/**
 * One side's numbered frames that the other side has not confirmed yet, oldest first, with their
 * length in characters: what a resumed session sends again (see "Sequence numbers" in
 * docs/protocol.md). The server's session and the client's both keep theirs in one.
 */
export class SentFrames<T extends NumberedFrame = NumberedFrame> {
  /** The frames kept, oldest first. */
  frames: T[] = []
  /** Their length in characters. */
  bytes = 0

  /** Keeps `frame`, numbered after every frame kept. */
  push(frame: T): void {
    this.frames.push(frame)
    this.bytes += frame.frame.length
  }

  /** The other side has every frame up to `s`: forgets them. */
  confirm(s: number): void {
    let count = 0
    for (const kept of this.frames) {
      if (kept.s > s) break
      this.bytes -= kept.frame.length
      count++
    }
    this.frames.splice(0, count)
  }

  /** Forgets every frame kept. */
  clear(): void {
    this.frames = []
    this.bytes = 0
  }
}

/**
 * The numbered frames one side received: the last sequence number, and when to confirm with a
 * `rcv` frame (every {@link CONFIRM_EVERY} frames that nothing else confirms).
 */
export class ReceivedFrames {
  /** The sequence number of the last frame received. */
  last = 0
  /** Frames received since the last confirmation: a `rcv` is due when there are any. */
  pending = 0

  /**
   * Frame `s`, the next one, arrived: returns true when a `rcv` confirming up to it is due now.
   * `confirmedOtherwise` is true for a frame whose answer will confirm it (an acknowledged event).
   */
  received(s: number, confirmedOtherwise = false): boolean {
    this.last = s
    return !confirmedOtherwise && ++this.pending >= CONFIRM_EVERY
  }
}
