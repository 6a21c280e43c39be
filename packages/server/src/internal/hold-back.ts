/**
 * The live messages of a connection's rooms held back while what it missed of them is replayed,
 * and the last offset each replay sent: a connection has one only while it replays (most never
 * do), so a delivery to the others checks one field.
 */
export class HoldBack {
  /** Live messages held back per room while a replay of it is read: offset and frame in turn. */
  readonly #held = new Map<string, Array<number | string>>()
  /** The length of the frames held. */
  bytes = 0
  /** The last offset a replay (and what was held during it) sent per room, until a later live message comes. */
  readonly #replayed = new Map<string, number>()

  /** Whether nothing is held and no replay's last offset is remembered: the connection may drop it. */
  get idle(): boolean {
    return this.#held.size === 0 && this.#replayed.size === 0
  }

  /** The rooms whose live messages are held. */
  rooms(): string[] {
    return [...this.#held.keys()]
  }

  /** Holds back the live messages of `room` until {@link release}. */
  hold(room: string): void {
    if (!this.#held.has(room)) this.#held.set(room, [])
  }

  /**
   * Keeps a frame of `room` at `offset` when the room is held, and returns true; drops it (true)
   * when a replay already sent it; returns false when it is to be sent now.
   */
  keep(room: string, offset: number, frame: string): boolean {
    if (this.#replayed.size !== 0 && this.#alreadyReplayed(room, offset)) return true
    const held = this.#held.get(room)
    if (held === undefined) return false
    held.push(offset, frame)
    this.bytes += frame.length
    return true
  }

  /**
   * Stops holding `room`, and returns the frames held after offset `through` to send, in order.
   * Messages up to the last of them (or `through`) that are delivered later are dropped, until
   * one after it comes.
   */
  release(room: string, through: number): string[] {
    const held = this.#held.get(room)
    if (held === undefined) return []
    this.#held.delete(room)
    const frames: string[] = []
    let sent = through
    for (let index = 0; index < held.length; index += 2) {
      const frame = held[index + 1] as string
      const offset = held[index] as number
      this.bytes -= frame.length
      if (offset > sent) {
        frames.push(frame)
        sent = offset
      }
    }
    if (Number.isFinite(sent) && sent >= 0) this.#replayed.set(room, sent)
    return frames
  }

  /** The connection left `room`: forget what a replay of it sent. */
  forget(room: string): void {
    this.#replayed.delete(room)
  }

  /** Whether a replay of `room` already sent the message at `offset`; forgets the room once past it. */
  #alreadyReplayed(room: string, offset: number): boolean {
    const through = this.#replayed.get(room)
    if (through === undefined) return false
    if (offset <= through) return true
    this.#replayed.delete(room)
    return false
  }
}
