import type { Redis } from 'ioredis'
import type { KeySpace } from './keys.js'
import { RoomFeed, type FeedHost } from './room-feed.js'

/** What the followed rooms need from the adapter. */
export interface FollowHost {
  readonly keys: KeySpace
  /** The pub/sub connection. */
  readonly sub: Redis
  readonly sharded: boolean
  /** Whether the server keeps channel history (feeds then catch up from the streams). */
  readonly history: boolean
  readonly feedHost: FeedHost
  /** Whether this node has members in `room`. */
  hasMembers(room: string): boolean
  /** A subscription failed: Redis is away. */
  failed(room: string, error: unknown): void
  /** Milliseconds a room stays followed after its last member here left. */
  readonly lingerMs: number
}

/**
 * The rooms this node follows: those its connections are in (and the `followAlways` ones), each
 * with its pub/sub subscription and its {@link RoomFeed}. A room is left `lingerMs` after its
 * last member here left, so a member that comes back at once costs no new subscription.
 */
export class FollowedRooms {
  readonly #host: FollowHost
  readonly #feeds = new Map<string, RoomFeed>()
  /** Rooms left by their last member here, with the timer that stops following them. */
  readonly #lingering = new Map<string, ReturnType<typeof setTimeout>>()
  /** Followed rooms whose subscription Redis has not confirmed yet. */
  readonly #unconfirmed = new Set<string>()
  /** Rooms followed whatever the members (`followAlways`). */
  readonly #permanent = new Set<string>()
  #closed = false

  constructor(host: FollowHost) {
    this.#host = host
  }

  /** Rooms followed because this node has members in them. */
  get size(): number {
    let permanent = 0
    for (const room of this.#permanent) if (this.#feeds.has(room)) permanent++
    return this.#feeds.size - permanent
  }

  /** Every followed room's feed. */
  feeds(): IterableIterator<RoomFeed> {
    return this.#feeds.values()
  }

  /** The feed of `room`, if followed. */
  get(room: string): RoomFeed | undefined {
    return this.#feeds.get(room)
  }

  /** The feed of `room` when this node has members in it, following it now if it did not yet. */
  feedFor(room: string): RoomFeed | undefined {
    const feed = this.#feeds.get(room)
    if (feed !== undefined || !this.#host.hasMembers(room)) return feed
    this.follow(room)
    return this.#feeds.get(room)
  }

  /** Follows `room` for as long as the node runs. */
  followAlways(room: string): void {
    this.#permanent.add(room)
    this.follow(room)
  }

  /** Starts following `room`: its pub/sub channel, and its history when there is one. */
  follow(room: string): void {
    const lingering = this.#lingering.get(room)
    if (lingering !== undefined) {
      clearTimeout(lingering)
      this.#lingering.delete(room)
    }
    if (this.#feeds.has(room) || this.#closed) return
    const feed = new RoomFeed(room, this.#host.feedHost)
    this.#feeds.set(room, feed)
    this.#unconfirmed.add(room)
    this.#subscribe(feed).catch((error: unknown) => this.#host.failed(room, error))
  }

  /** Stops following `room` a little after its last member here left. */
  maybeUnfollow(room: string): void {
    if (this.#permanent.has(room) || this.#lingering.has(room) || !this.#feeds.has(room) || this.#host.hasMembers(room)) return
    const timer = setTimeout(() => {
      this.#lingering.delete(room)
      const feed = this.#feeds.get(room)
      if (feed === undefined || this.#host.hasMembers(room)) return
      feed.close()
      this.#feeds.delete(room)
      this.#unconfirmed.delete(room)
      if (this.#closed) return
      const channel = this.#host.keys.channel(room)
      ;(this.#host.sharded ? this.#host.sub.sunsubscribe(channel) : this.#host.sub.unsubscribe(channel)).catch(() => {})
    }, this.#host.lingerMs)
    timer.unref()
    this.#lingering.set(room, timer)
  }

  /**
   * Redis is back: subscribes the rooms first followed while it was away (ioredis restored the
   * others' subscriptions), and lets every feed catch up.
   */
  async restore(): Promise<void> {
    for (const feed of [...this.#feeds.values()]) {
      if (!this.#unconfirmed.has(feed.room)) this.#start(feed)
      // One that fails is reported (Redis went away again) and does not keep the others waiting.
      else await this.#subscribe(feed).catch((error: unknown) => this.#host.failed(feed.room, error))
    }
  }

  close(): void {
    this.#closed = true
    for (const timer of this.#lingering.values()) clearTimeout(timer)
    this.#lingering.clear()
    for (const feed of this.#feeds.values()) feed.close()
    this.#feeds.clear()
  }

  /** Subscribes to the feed's channel (ioredis keeps it across reconnects from then on), then starts the feed. */
  async #subscribe(feed: RoomFeed): Promise<void> {
    const channel = this.#host.keys.channel(feed.room)
    await (this.#host.sharded ? this.#host.sub.ssubscribe(channel) : this.#host.sub.subscribe(channel))
    this.#unconfirmed.delete(feed.room)
    this.#start(feed)
  }

  #start(feed: RoomFeed): void {
    if (this.#host.history) feed.sync()
    else feed.state = 'live'
  }
}
