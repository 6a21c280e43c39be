import { randomBytes } from 'node:crypto'
import type { ChannelPosition } from '@org/realtime-core'

/** A broadcast as the history keeps it. */
export interface Published {
  /** Event name. */
  readonly event: string
  /** Event data, as the broadcast gave it (kept by reference, not copied). */
  readonly data: unknown
  /** Every room the broadcast went to: a connection in several got it once, from the first. */
  readonly rooms: readonly string[]
  /** Rooms and connection ids the broadcast left out; a replay leaves them out too. */
  readonly except: readonly string[]
}

/** One message kept in a channel's history. */
export interface HistoryEntry extends Published {
  /** Its offset in the channel: the previous message's plus one. */
  readonly offset: number
  /** When it was published, in ms since the epoch. */
  readonly at: number
}

/** What part of a channel's history is still kept after an offset. */
export interface HistorySlice {
  /** The messages after the offset that are still kept, oldest first. */
  readonly entries: readonly HistoryEntry[]
  /** Whether `entries` holds every message after the offset (none was evicted). */
  readonly complete: boolean
}

/** How much history each channel keeps. */
export interface HistoryOptions {
  /** Most messages kept per channel. */
  readonly size: number
  /** Milliseconds a message is kept. */
  readonly ageMs: number
}

/**
 * Per-channel message history, where offsets are assigned. Adapters provide it, so that history
 * lives where the broadcasts travel: in process for the memory adapter, in Redis for a cluster.
 */
export interface HistoryStore {
  /** Appends a broadcast to `room`'s history and returns its offset there. */
  append(room: string, message: Published): number
  /** The epoch of `room`'s history and the offset of its last message (0 before the first). */
  position(room: string): ChannelPosition
  /** Up to `limit` messages of `room` after `offset`, oldest first. */
  after(room: string, offset: number, limit?: number): HistorySlice
  /** Releases what the store holds. */
  close(): void
}

/**
 * History kept in this process: a ring buffer of `size` messages per channel, each kept for
 * `ageMs`. A channel whose history stayed empty for `ageMs`, and that `inUse` does not claim, is
 * forgotten with its epoch: a client that comes back after that is told its messages could not be
 * recovered.
 */
export class MemoryHistory implements HistoryStore {
  readonly #logs = new Map<string, RoomLog>()
  readonly #options: HistoryOptions
  readonly #inUse: (room: string) => boolean
  readonly #sweep: ReturnType<typeof setInterval>

  /** @param inUse - whether a room still has members, whose position must stay valid. */
  constructor(options: HistoryOptions, inUse: (room: string) => boolean = () => false) {
    this.#options = options
    this.#inUse = inUse
    this.#sweep = setInterval(() => this.#forgetIdle(Date.now()), Math.max(1000, Math.min(options.ageMs, 60_000)))
    this.#sweep.unref?.()
  }

  append(room: string, message: Published): number {
    return this.#log(room).append(message, Date.now())
  }

  position(room: string): ChannelPosition {
    const log = this.#log(room)
    return { epoch: log.epoch, offset: log.offset }
  }

  after(room: string, offset: number, limit = Infinity): HistorySlice {
    return this.#log(room).after(offset, limit, Date.now())
  }

  close(): void {
    clearInterval(this.#sweep)
    this.#logs.clear()
  }

  #log(room: string): RoomLog {
    let log = this.#logs.get(room)
    if (log === undefined) {
      log = new RoomLog(this.#options)
      this.#logs.set(room, log)
    }
    return log
  }

  #forgetIdle(now: number): void {
    for (const [room, log] of this.#logs) if (log.idleSince(now) && !this.#inUse(room)) this.#logs.delete(room)
  }
}

/** One channel's ring buffer. Offsets are consecutive, so an offset is found by arithmetic. */
class RoomLog {
  readonly epoch = randomBytes(6).toString('base64url')
  /** Offset of the last message appended. */
  offset = 0
  readonly #ring: Array<HistoryEntry | undefined>
  /** Index of the oldest kept entry in `#ring`. */
  #head = 0
  #count = 0
  #touchedAt = Date.now()
  readonly #ageMs: number

  constructor(options: HistoryOptions) {
    this.#ring = new Array<HistoryEntry | undefined>(Math.max(0, options.size))
    this.#ageMs = options.ageMs
  }

  append(message: Published, now: number): number {
    const offset = ++this.offset
    this.#touchedAt = now
    const capacity = this.#ring.length
    if (capacity === 0) return offset
    if (this.#count === capacity) this.#dropOldest()
    const { event, data, rooms, except } = message
    this.#ring[(this.#head + this.#count) % capacity] = { event, data, rooms, except, offset, at: now }
    this.#count++
    return offset
  }

  after(offset: number, limit: number, now: number): HistorySlice {
    this.#touchedAt = now
    this.#expire(now)
    // Offsets still kept run from `first` to `this.offset`.
    const first = this.offset - this.#count + 1
    const start = Math.max(offset + 1, first)
    const entries: HistoryEntry[] = []
    for (let at = start; at <= this.offset && entries.length < limit; at++) {
      entries.push(this.#ring[(this.#head + at - first) % this.#ring.length] as HistoryEntry)
    }
    return { entries, complete: offset + 1 >= first }
  }

  /** Whether the log holds nothing and nobody looked at it for `ageMs`. */
  idleSince(now: number): boolean {
    this.#expire(now)
    return this.#count === 0 && now - this.#touchedAt >= this.#ageMs
  }

  #expire(now: number): void {
    while (this.#count > 0 && now - (this.#ring[this.#head] as HistoryEntry).at >= this.#ageMs) this.#dropOldest()
  }

  #dropOldest(): void {
    this.#ring[this.#head] = undefined
    this.#head = (this.#head + 1) % this.#ring.length
    this.#count--
  }
}
