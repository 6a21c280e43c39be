import { randomBytes } from 'node:crypto'
import type { ChannelPosition } from '@org/realtime-core'
import type { Connection } from './connection.js'

/** A broadcast as the history keeps it. */
export interface Published {
  /** Event name. */
  readonly event: string
  /**
   * The event's data, encoded as JSON once before the broadcast was kept or sent (so what is kept
   * can always be sent again); undefined when the event carries none.
   */
  readonly json: string | undefined
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
  /** Whether `entries` starts right after the offset (none of the messages after it was evicted). */
  readonly complete: boolean
  /** Whether more messages are kept after the last of `entries`: the read stopped at its `limit` or `maxBytes`. */
  readonly truncated: boolean
}

/** How much history to keep. */
export interface HistoryOptions {
  /** Most messages kept per channel. */
  readonly size: number
  /** Milliseconds a message is kept. */
  readonly ageMs: number
  /**
   * Most channels with a history at once; past it, starting one more forgets the history of a
   * channel nobody is in, empty ones first.
   * @default Infinity
   */
  readonly channels?: number
  /**
   * Bytes of history kept in all (approximate: the event's name and data as JSON, plus 64 per
   * message); past it the oldest messages of every channel go first.
   * @default Infinity
   */
  readonly bytes?: number
}

/** Limits of one read of a channel's history. */
export interface HistoryReadLimits {
  /**
   * Most messages to return.
   * @default Infinity
   */
  readonly limit?: number
  /**
   * Most bytes of messages to return, counting each message's event name and data as JSON
   * (UTF-16 code units); a read returns at least one message when there is one.
   * @default Infinity
   */
  readonly maxBytes?: number
}

/**
 * The connection a history read is for (a replay after a reconnect, or `channel.history()`): a
 * store whose messages depend on who reads them (a row filter, say) filters them for it.
 */
export type HistoryReader = Connection<any>

/** A value, or a promise of it: what a store in this process answers at once, a networked one later. */
export type MaybePromise<T> = T | Promise<T>

/**
 * Per-channel message history, where offsets are assigned. Adapters provide it, so that history
 * lives where the broadcasts travel: in process for the memory adapter, in Redis for a cluster.
 * Each method may answer at once or with a promise: the server keeps the delivery contract either
 * way (a subscriber's live messages wait while its replay is read), and takes the faster path
 * when the answer is there at once.
 */
export interface HistoryStore {
  /** Appends a broadcast to `room`'s history and returns its offset there. */
  append(room: string, message: Published): MaybePromise<number>
  /**
   * The epoch of `room`'s history and the offset of its last message (0 before the first). A
   * room without a history gets one here, so that the epoch it reports stays valid: call it when
   * a connection joins the room, not merely to look.
   */
  position(room: string): MaybePromise<ChannelPosition>
  /**
   * Where `room`'s history stands, without starting one: undefined when the room has none (it
   * never had a message or a member, or it was forgotten).
   */
  peek(room: string): MaybePromise<ChannelPosition | undefined>
  /**
   * Messages of `room` after `offset`, oldest first, within `limits`. Starts no history.
   * `reader`: the connection the messages are for, when the server reads them for one (every
   * replay and history page); a store may leave out what that connection may not see, and must
   * not return anything it may not see.
   */
  after(room: string, offset: number, limits?: HistoryReadLimits, reader?: HistoryReader): MaybePromise<HistorySlice>
  /** Releases what the store holds. */
  close(): MaybePromise<void>
}

/** Bytes a kept message is counted for on top of its name and data. */
const ENTRY_OVERHEAD = 64

/** A kept message, linked to its neighbours in the order messages were appended to any channel. */
class KeptEntry implements HistoryEntry {
  /** The previous and next message kept, in any channel: the oldest is evicted first. */
  older: KeptEntry | undefined
  newer: KeptEntry | undefined

  constructor(
    readonly event: string,
    readonly json: string | undefined,
    readonly rooms: readonly string[],
    readonly except: readonly string[],
    readonly offset: number,
    readonly at: number,
    readonly log: RoomLog,
    readonly bytes: number,
  ) {}
}

/**
 * History kept in this process: up to `size` messages per channel, each kept for `ageMs`, within
 * `bytes` in all and `channels` channels. A channel whose history stayed empty for `ageMs`, and
 * that `inUse` does not claim, is forgotten with its epoch: a client that comes back after that
 * is told its messages could not be recovered. A channel's log holds no slots in advance: an
 * empty one costs its epoch and a few numbers.
 */
export class MemoryHistory implements HistoryStore {
  readonly #logs = new Map<string, RoomLog>()
  readonly #options: Required<HistoryOptions>
  readonly #inUse: (room: string) => boolean
  readonly #sweep: ReturnType<typeof setInterval>
  /** The oldest and newest kept message of any channel. */
  #oldest: KeptEntry | undefined
  #newest: KeptEntry | undefined
  #bytes = 0

  /** @param inUse - whether a room still has members, whose position must stay valid. */
  constructor(options: HistoryOptions, inUse: (room: string) => boolean = () => false) {
    this.#options = { channels: Infinity, bytes: Infinity, ...options }
    this.#inUse = inUse
    this.#sweep = setInterval(() => this.#forgetIdle(Date.now()), Math.max(1000, Math.min(options.ageMs, 60_000)))
    this.#sweep.unref?.()
  }

  /** Approximate bytes of history kept, as {@link HistoryOptions.bytes} counts them. */
  get bytes(): number {
    return this.#bytes
  }

  /** Channels with a history now. */
  get channels(): number {
    return this.#logs.size
  }

  append(room: string, message: Published): number {
    const now = Date.now()
    const log = this.#open(room, now)
    const offset = ++log.offset
    log.touchedAt = now
    if (this.#options.size <= 0) return offset
    const bytes = room.length + message.event.length + (message.json?.length ?? 0) + ENTRY_OVERHEAD
    const entry = new KeptEntry(message.event, message.json, message.rooms, message.except, offset, now, log, bytes)
    log.entries.push(entry)
    this.#link(entry)
    if (log.count > this.#options.size) this.#evict(log.oldest as KeptEntry)
    this.#trim(now)
    return offset
  }

  position(room: string): ChannelPosition {
    const log = this.#open(room, Date.now())
    return { epoch: log.epoch, offset: log.offset }
  }

  peek(room: string): ChannelPosition | undefined {
    const log = this.#logs.get(room)
    return log === undefined ? undefined : { epoch: log.epoch, offset: log.offset }
  }

  after(room: string, offset: number, limits: HistoryReadLimits = {}): HistorySlice {
    const now = Date.now()
    this.#trim(now)
    const log = this.#logs.get(room)
    if (log === undefined) return { entries: [], complete: offset === 0, truncated: false }
    log.touchedAt = now
    const limit = limits.limit ?? Infinity
    const maxBytes = limits.maxBytes ?? Infinity
    // Offsets still kept run from `first` to `log.offset`, one entry each.
    const first = log.offset - log.count + 1
    const entries: HistoryEntry[] = []
    let bytes = 0
    let at = Math.max(offset + 1, first)
    for (; at <= log.offset && entries.length < limit; at++) {
      const entry = log.entries[log.head + at - first] as KeptEntry
      bytes += entry.event.length + (entry.json?.length ?? 0)
      if (bytes > maxBytes && entries.length > 0) break
      entries.push(entry)
    }
    return { entries, complete: offset + 1 >= first, truncated: at <= log.offset }
  }

  close(): void {
    clearInterval(this.#sweep)
    this.#logs.clear()
    this.#oldest = this.#newest = undefined
    this.#bytes = 0
  }

  /** `room`'s log, started now when it has none; at the channel limit, an unused log makes room. */
  #open(room: string, now: number): RoomLog {
    let log = this.#logs.get(room)
    if (log === undefined) {
      if (this.#logs.size >= this.#options.channels) this.#forgetOneUnused()
      log = new RoomLog(room, now)
      this.#logs.set(room, log)
    }
    return log
  }

  /** Forgets the oldest channel log nobody is in, preferring an empty one. */
  #forgetOneUnused(): void {
    let unused: RoomLog | undefined
    for (const log of this.#logs.values()) {
      if (this.#inUse(log.room)) continue
      if (log.count === 0) return this.#forget(log)
      unused ??= log
    }
    // Every channel has members: those are bounded by the connections and their subscriptions.
    if (unused !== undefined) this.#forget(unused)
  }

  #forget(log: RoomLog): void {
    while (log.count > 0) this.#evict(log.oldest as KeptEntry)
    this.#logs.delete(log.room)
  }

  /** Drops messages past their age and, past the byte limit, the oldest of any channel. */
  #trim(now: number): void {
    for (let oldest = this.#oldest; oldest !== undefined; oldest = this.#oldest) {
      if (this.#bytes <= this.#options.bytes && now - oldest.at < this.#options.ageMs) return
      this.#evict(oldest)
    }
  }

  /** Drops `entry`, which is the oldest message its channel keeps. */
  #evict(entry: KeptEntry): void {
    entry.log.dropOldest()
    if (entry.older === undefined) this.#oldest = entry.newer
    else entry.older.newer = entry.newer
    if (entry.newer === undefined) this.#newest = entry.older
    else entry.newer.older = entry.older
    entry.older = entry.newer = undefined
    this.#bytes -= entry.bytes
  }

  #link(entry: KeptEntry): void {
    entry.older = this.#newest
    if (this.#newest === undefined) this.#oldest = entry
    else this.#newest.newer = entry
    this.#newest = entry
    this.#bytes += entry.bytes
  }

  #forgetIdle(now: number): void {
    this.#trim(now)
    for (const [room, log] of this.#logs) {
      if (log.count === 0 && now - log.touchedAt >= this.#options.ageMs && !this.#inUse(room)) this.#logs.delete(room)
    }
  }
}

/**
 * One channel's kept messages, oldest first, from `head` on. Offsets are consecutive, so a
 * message is found by arithmetic. The array grows as messages come, and sheds its evicted front
 * once that is most of it.
 */
class RoomLog {
  readonly epoch = randomBytes(6).toString('base64url')
  /** Offset of the last message appended. */
  offset = 0
  readonly entries: Array<KeptEntry | undefined> = []
  /** Index of the oldest kept entry in `entries`. */
  head = 0
  touchedAt: number

  constructor(
    readonly room: string,
    now: number,
  ) {
    this.touchedAt = now
  }

  get count(): number {
    return this.entries.length - this.head
  }

  get oldest(): KeptEntry | undefined {
    return this.entries[this.head]
  }

  dropOldest(): void {
    this.entries[this.head++] = undefined
    if (this.head === this.entries.length) {
      this.entries.length = 0
      this.head = 0
    } else if (this.head >= 32 && this.head * 2 >= this.entries.length) {
      this.entries.splice(0, this.head)
      this.head = 0
    }
  }
}
