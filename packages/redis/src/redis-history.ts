import type { ChannelPosition } from '@org/realtime-core'
import { ErrorCode, RealtimeError, type HistoryEntry, type HistoryReadLimits, type HistorySlice, type HistoryStore, type Published } from '@org/realtime-server'
import { Coalescer } from './coalesce.js'
import type { FeedEntry, FeedRead, RoomFeed } from './room-feed.js'

/** What the history needs from the adapter. */
export interface HistoryHost {
  /** The feed of `room` when this node follows it (it has members here); starts following then. */
  feedFor(room: string): RoomFeed | undefined
  /** Whether Redis is reachable now. */
  readonly up: boolean
  /** Starts `room`'s history when it has none; answers it with its last `tail` entries. */
  open(room: string, tail: number): Promise<FeedRead>
  /** `room`'s epoch and last offset, and `count` entries from `offset` on. */
  read(room: string, offset: number, count: number): Promise<FeedRead>
  /** Appends `message` to `room` and publishes it; answers its offset. */
  append(room: string, message: Published): Promise<number>
  /** Most messages kept per room. */
  readonly size: number
  /** Milliseconds a message is kept. */
  readonly ageMs: number
  /** Milliseconds `position` waits for this node to deliver what Redis already holds. */
  readonly catchUpMs: number
}

/**
 * Channel history in Redis: one stream per room, offsets from its hash, read through this node's
 * feed of the room when it has one. A subscriber's position is where this node's delivery of the
 * room stands, once it has caught up with Redis as it was at the call, so the live messages that
 * follow are exactly those after it. Replays of recent messages come from the feed's tail; older
 * ones from the stream, identical reads joined.
 */
export class RedisHistory implements HistoryStore {
  readonly #host: HistoryHost
  readonly #positions = new Coalescer<FeedRead>()
  readonly #reads = new Coalescer<FeedRead>()

  constructor(host: HistoryHost) {
    this.#host = host
  }

  append(room: string, message: Published): Promise<number> {
    return this.#host.append(room, message)
  }

  /**
   * Where `room` stands for a connection that joins it. Never rejects (the server asks it on every
   * join, and may not be listening for a failure): while Redis is unreachable, for a room this
   * node does not follow yet, it answers a position with an empty epoch, which no client offset
   * matches, so a later resubscription is told `recovered: false`.
   */
  async position(room: string): Promise<ChannelPosition> {
    try {
      return await this.#position(room)
    } catch {
      return { epoch: '', offset: 0 }
    }
  }

  async #position(room: string): Promise<ChannelPosition> {
    const feed = this.#host.feedFor(room)
    if (feed === undefined) {
      this.#requireRedis()
      const opened = await this.#host.open(room, 0)
      return { epoch: opened.epoch as string, offset: opened.offset }
    }
    if (feed.state !== 'live' && feed.epoch === undefined && !this.#host.up) throw unavailable()
    await withTimeout(feed.ready, 4 * this.#host.catchUpMs)
    if (this.#host.up) {
      // Redis may hold messages this node has not delivered yet (in flight on pub/sub): wait for
      // them, so a client that saw them on another node is not told it is ahead of the channel.
      const latest = await this.#positions.run(room, () => this.#host.read(room, 0, 0))
      if (latest.epoch !== feed.epoch) feed.sync()
      else if (latest.offset > feed.cursor) await feed.until(latest.offset, this.#host.catchUpMs)
    }
    if (feed.epoch === undefined) throw unavailable()
    return { epoch: feed.epoch, offset: feed.cursor }
  }

  async peek(room: string): Promise<ChannelPosition | undefined> {
    this.#requireRedis()
    const read = await this.#positions.run(room, () => this.#host.read(room, 0, 0))
    return read.epoch === null ? undefined : { epoch: read.epoch, offset: read.offset }
  }

  after(room: string, offset: number, limits: HistoryReadLimits = {}): HistorySlice | Promise<HistorySlice> {
    const limit = Math.max(0, Math.min(limits.limit ?? Infinity, this.#host.size))
    const maxBytes = limits.maxBytes ?? Infinity
    const feed = this.#host.feedFor(room)
    if (feed !== undefined && feed.state === 'live') {
      const fromTail = this.#fromTail(feed, offset, limit, maxBytes)
      if (fromTail !== undefined) return fromTail
    }
    if (!this.#host.up) return Promise.reject(unavailable())
    const count = limit === 0 ? 0 : limit + 1
    return this.#reads.run(`${room}\n${offset}\n${count}`, () => this.#host.read(room, offset + 1, count)).then((read) => this.#slice(read, offset, limit, maxBytes))
  }

  close(): void {}

  /** The slice from the feed's tail, or undefined when the tail does not reach back to `offset`. */
  #fromTail(feed: RoomFeed, offset: number, limit: number, maxBytes: number): HistorySlice | undefined {
    if (offset >= feed.cursor) return { entries: [], complete: true, truncated: false }
    const tail = feed.tail
    const first = tail[0]
    if (first === undefined || first.offset > offset + 1 || tail[tail.length - 1]?.offset !== feed.cursor) return undefined
    return this.#slice({ epoch: feed.epoch ?? null, offset: feed.cursor, entries: tail.slice(offset + 1 - first.offset) }, offset, limit, maxBytes)
  }

  /** What a read holds after `offset`: fresh entries within the limits, and whether some are missing or left out. */
  #slice(read: FeedRead, offset: number, limit: number, maxBytes: number): HistorySlice {
    if (read.epoch === null) return { entries: [], complete: offset === 0, truncated: false }
    if (offset >= read.offset) return { entries: [], complete: true, truncated: false }
    const freshFrom = this.#host.ageMs > 0 ? Date.now() - this.#host.ageMs : -Infinity
    const kept: HistoryEntry[] = []
    let bytes = 0
    let index = 0
    const entries = read.entries
    while (index < entries.length && ((entries[index] as FeedEntry).at <= freshFrom || (entries[index] as FeedEntry).offset <= offset)) index++
    const firstKept = entries[index]
    for (; index < entries.length && kept.length < limit; index++) {
      const entry = entries[index] as FeedEntry
      bytes += entry.event.length + (entry.json?.length ?? 0)
      if (bytes > maxBytes && kept.length > 0) break
      kept.push(strip(entry))
    }
    const last = kept[kept.length - 1]
    return {
      entries: kept,
      complete: firstKept !== undefined && firstKept.offset === offset + 1,
      truncated: last !== undefined && last.offset < read.offset,
    }
  }

  #requireRedis(): void {
    if (!this.#host.up) throw unavailable()
  }
}

/** The entry as the server sees it (without the wire packet). */
function strip(entry: FeedEntry): HistoryEntry {
  return { event: entry.event, json: entry.json, rooms: entry.rooms, except: entry.except, offset: entry.offset, at: entry.at }
}

/** `promise`, or a rejection with {@link unavailable} after `ms`. */
async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await Promise.race([promise, new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(unavailable()), ms)))])
  } finally {
    clearTimeout(timer)
  }
}

function unavailable(): RealtimeError {
  return new RealtimeError(ErrorCode.Timeout, 'Channel history is unavailable: Redis is unreachable')
}
