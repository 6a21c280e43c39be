import {
  ErrorCode,
  RealtimeError,
  type Adapter,
  type Authorize,
  type ChannelAction,
  type Connection,
  type RealtimePlugin,
  type RealtimeServer,
} from '@org/realtime-server'
import { TokenBucket, isValidName, silentLogger, utf8Length } from '@org/realtime-core'
import { ClusterLink } from './cluster-link.js'
import type { PresenceServerOptions } from './options.js'
import { Topic, type ServerPresenceMember } from './topic.js'
import { CLUSTER_ROOM, EVENT, PREFIX, isRecord, type ClusterMessage, type WireEntry, type WireSync, type WireTracked } from './wire.js'

/**
 * The presence plugin of one server (one node): add it to the server's `plugins`, and in a
 * cluster wrap the adapter with `cluster`. It claims the channels `presence:<channel>`.
 */
export interface PresencePlugin<TData = Record<string, any>> extends RealtimePlugin<TData> {
  /** This node's id: new at every start, so that a restarted server brings back none of its old members. */
  readonly node: string
  /**
   * Wraps the server's adapter, so that presence crosses the nodes of a cluster through it: the
   * nodes see each other's diffs, send heartbeats, and drop the members of a node that stopped.
   * Works with any adapter that delivers every broadcast on every node, as the `Adapter` contract
   * says. Needless with one process.
   * @example new RealtimeServer({ plugins: [tracker], adapter: tracker.cluster(redisAdapter({ url })) })
   */
  cluster(adapter: Adapter): Adapter
  /** The members of `channel`, on every node, as clients see them (published changes only). */
  list(channel: string): ServerPresenceMember[]
  /** How many keys are present in `channel`, on every node: O(1). */
  count(channel: string): number
}

/** What the plugin keeps per connection that tracks. */
interface Tracker {
  /** Its metas' ref among this node's, the same in every channel (clients see `<node>.<ref>`). */
  readonly ref: string
  /** Channels it tracks in. */
  readonly channels: Set<string>
  readonly syncs: TokenBucket
}

/**
 * Presence for `@org/realtime-server`: who is in each channel, with the metas their connections
 * track, sent to the channel's watchers as one full state then versioned diffs. Clients use
 * `presence(channel)` of `@org/realtime-presence/client`.
 *
 * @example
 * const tracker = presence<{ userId: string }>({ key: (conn) => conn.data.userId })
 * const rt = new RealtimeServer({ authenticate, authorize, plugins: [tracker] })
 */
export function presence<TData = Record<string, any>>(options: PresenceServerOptions<TData> = {}): PresencePlugin<TData> {
  return new PresenceServer(options)
}

class PresenceServer<TData> implements PresencePlugin<TData> {
  readonly name = 'presence'
  readonly namespaces = [PREFIX]
  readonly node = randomId(8)
  readonly #options: PresenceServerOptions<TData>
  readonly #batchMs: number
  readonly #maxMetaBytes: number
  readonly #maxMetasPerKey: number
  readonly #maxMetasPerChannel: number
  readonly #topics = new Map<string, Topic>()
  /** Connections of this node in each presence channel. */
  readonly #watchers = new Map<string, number>()
  readonly #trackers = new WeakMap<Connection<TData>, Tracker>()
  readonly #pending = new Set<Topic>()
  /** In a cluster: the channels this node hears, because its connections watch them. */
  readonly #followed = new Set<string>()
  #rt: RealtimeServer<TData> | undefined
  #app: Authorize<TData> | undefined
  #link: ClusterLink | undefined
  #flushTimer: ReturnType<typeof setTimeout> | undefined
  #flushedAt = -Infinity
  /** The number of this node's last diff, all channels together. */
  #seq = 0
  #refs = 0

  constructor(options: PresenceServerOptions<TData>) {
    this.#options = options
    this.#batchMs = options.batchMs ?? 50
    this.#maxMetaBytes = options.maxMetaBytes ?? 1024
    this.#maxMetasPerKey = options.maxMetasPerKey ?? 32
    this.#maxMetasPerChannel = options.maxMetasPerChannel ?? 50_000
  }

  cluster(adapter: Adapter): Adapter {
    if (this.#link !== undefined) throw new Error('presence: cluster() wraps one adapter, of one server')
    const self = this
    this.#link = new ClusterLink(
      {
        self: this.node,
        get seq() {
          return self.#seq
        },
        send: (message) => this.#send(message),
        // Only the channels this node's connections watch are kept (others' diffs may reach it
        // anyway, with an adapter that sends every broadcast everywhere).
        diff: (channel, diff) => !this.#followed.has(channel) || this.#topic(channel).apply(diff) !== 'gap',
        state: (node, channel, seq, entries) => this.#peerState(node, channel, seq, entries),
        followed: (channel) => this.#followed.add(channel),
        unfollowed: (channel) => this.#unfollowed(channel),
        down: (node) => this.#peerDown(node),
        ownState: (channel) => this.#topics.get(channel)?.own() ?? [0, []],
      },
      this.#options.heartbeatMs ?? 5000,
      this.#options.logger ?? silentLogger,
    )
    return this.#link.wrap(adapter)
  }

  list(channel: string): ServerPresenceMember[] {
    return this.#topics.get(channel)?.members() ?? []
  }

  count(channel: string): number {
    return this.#topics.get(channel)?.count ?? 0
  }

  setup(rt: RealtimeServer<TData>): void {
    if (this.#rt !== undefined) throw new Error('presence: one plugin serves one server')
    this.#rt = rt
  }

  authorize(conn: Connection<TData>, channel: string, action: ChannelAction, app: Authorize<TData>): boolean | Promise<boolean> {
    this.#app = app
    // Presence channels carry the server's diffs only; the cluster's room is no client's.
    if (action !== 'subscribe' || channel === CLUSTER_ROOM) return false
    const watched = channel.slice(PREFIX.length)
    if (watched.length === 0) return false
    return this.#options.authorize === undefined ? app(conn, watched, 'subscribe') : this.#options.authorize(conn, watched, app)
  }

  onConnection(conn: Connection<TData>): void {
    conn.on(EVENT.track, (data) => this.#track(conn, data))
    conn.on(EVENT.untrack, (data) => this.#untrack(conn, data))
    conn.on(EVENT.sync, (data) => this.#sync(conn, data))
  }

  onJoin(_conn: Connection<TData>, room: string): void {
    if (room.startsWith(PREFIX) && room !== CLUSTER_ROOM) this.#watchers.set(room, (this.#watchers.get(room) ?? 0) + 1)
  }

  onLeave(conn: Connection<TData>, room: string): void {
    if (!room.startsWith(PREFIX) || room === CLUSTER_ROOM) return
    const left = (this.#watchers.get(room) ?? 1) - 1
    if (left === 0) this.#watchers.delete(room)
    else this.#watchers.set(room, left)
    // Whatever the reason (unsubscribe, session ended, moved to another node), its meta goes.
    const channel = room.slice(PREFIX.length)
    const tracker = this.#trackers.get(conn)
    if (tracker?.channels.delete(channel) === true) this.#remove(channel, tracker.ref)
    else this.#forgetIfIdle(channel)
  }

  onDetached(conn: Connection<TData>): void {
    this.#setAway(conn, true)
  }

  onResumed(conn: Connection<TData>): void {
    this.#setAway(conn, false)
  }

  onClose(): void {
    // The connections have closed: their leaves go out now, then the goodbye.
    this.#flush()
    this.#link?.stop(true)
  }

  async #track(conn: Connection<TData>, data: unknown): Promise<WireTracked> {
    const channel = channelOf(data)
    const meta = (data as { m?: unknown }).m
    if (!isRecord(meta)) throw new RealtimeError(ErrorCode.BadFrame, 'A presence meta is a JSON object')
    const json = JSON.stringify(meta)
    if (utf8Length(json) > this.#maxMetaBytes) {
      throw new RealtimeError(ErrorCode.PayloadTooLarge, `A presence meta may have at most ${this.#maxMetaBytes} bytes of JSON`)
    }
    this.#mustWatch(conn, channel)
    if (!(await this.#mayTrack(conn, channel))) throw new RealtimeError(ErrorCode.Forbidden, `Not allowed to track in "${channel}"`)
    // It may have left the presence channel while `canTrack` ran.
    this.#mustWatch(conn, channel)
    const key = this.#keyOf(conn)
    const tracker = this.#tracker(conn)
    const topic = this.#topic(channel)
    const old = topic.live.get(tracker.ref)
    const away = !conn.connected
    if (old !== undefined && old.json === json && old.key === key && old.away === away) return { ref: `${this.node}.${tracker.ref}` }
    if (old === undefined || old.key !== key) {
      if (topic.liveMetasOf(key) >= this.#maxMetasPerKey) {
        throw new RealtimeError(ErrorCode.LimitExceeded, `At most ${this.#maxMetasPerKey} connections of one key may track in "${channel}"`)
      }
      if (old === undefined && topic.metas >= this.#maxMetasPerChannel) {
        throw new RealtimeError(ErrorCode.LimitExceeded, `"${channel}" has ${this.#maxMetasPerChannel} metas, its most`)
      }
    }
    topic.set({ ref: tracker.ref, key, meta, json, away })
    tracker.channels.add(channel)
    this.#schedule(topic)
    return { ref: `${this.node}.${tracker.ref}` }
  }

  #untrack(conn: Connection<TData>, data: unknown): Record<string, never> {
    const channel = channelOf(data)
    const tracker = this.#trackers.get(conn)
    if (tracker?.channels.delete(channel) === true) this.#remove(channel, tracker.ref)
    return {}
  }

  #sync(conn: Connection<TData>, data: unknown): WireSync {
    const channel = channelOf(data)
    this.#mustWatch(conn, channel)
    const wait = this.#tracker(conn).syncs.take()
    if (wait > 0) throw new RealtimeError(ErrorCode.RateLimited, `Too many presence syncs of "${channel}"`, { retryAfterMs: wait })
    return this.#topics.get(channel)?.state() ?? { n: [] }
  }

  #mustWatch(conn: Connection<TData>, channel: string): void {
    if (!conn.rooms.has(PREFIX + channel)) {
      throw new RealtimeError(ErrorCode.Forbidden, `Subscribe to "${PREFIX}${channel}" before tracking or syncing its presence`)
    }
  }

  #mayTrack(conn: Connection<TData>, channel: string): boolean | Promise<boolean> {
    if (this.#options.canTrack !== undefined) return this.#options.canTrack(conn, channel)
    // Known since the connection subscribed to the presence channel, which asked this plugin.
    return this.#app === undefined ? false : this.#app(conn, PREFIX + channel, 'publish')
  }

  #keyOf(conn: Connection<TData>): string {
    if (this.#options.key !== undefined) return String(this.#options.key(conn))
    const data = conn.data as Record<string, unknown> | undefined
    for (const field of ['userId', 'user', 'sub', 'id']) {
      const value = data?.[field]
      if (typeof value === 'string' || typeof value === 'number') return String(value)
    }
    return conn.id
  }

  #tracker(conn: Connection<TData>): Tracker {
    let tracker = this.#trackers.get(conn)
    if (tracker === undefined) {
      const rate = this.#options.syncRate ?? { perSecond: 2, burst: 10 }
      tracker = { ref: (++this.#refs).toString(36), channels: new Set(), syncs: new TokenBucket(rate.perSecond, rate.burst) }
      this.#trackers.set(conn, tracker)
    }
    return tracker
  }

  #topic(channel: string): Topic {
    let topic = this.#topics.get(channel)
    if (topic === undefined) this.#topics.set(channel, (topic = new Topic(channel, this.node)))
    return topic
  }

  #remove(channel: string, ref: string): void {
    const topic = this.#topics.get(channel)
    if (topic === undefined) return
    topic.delete(ref)
    this.#schedule(topic)
  }

  #setAway(conn: Connection<TData>, away: boolean): void {
    const tracker = this.#trackers.get(conn)
    if (tracker === undefined) return
    for (const channel of tracker.channels) {
      const topic = this.#topics.get(channel)
      const entry = topic?.live.get(tracker.ref)
      if (topic === undefined || entry === undefined || entry.away === away) continue
      topic.set({ ...entry, away })
      this.#schedule(topic)
    }
  }

  /**
   * Sends `topic`'s changes: at once (with whatever else changes in the same turn of the event
   * loop) when nothing went out in the last `batchMs`, else together with every change made
   * until `batchMs` after the last diffs.
   */
  #schedule(topic: Topic): void {
    this.#pending.add(topic)
    this.#flushTimer ??= setTimeout(() => this.#flush(), Math.max(0, this.#flushedAt + this.#batchMs - Date.now()))
  }

  /** Sends every pending channel's diff: one per channel, with each meta once. */
  #flush(): void {
    clearTimeout(this.#flushTimer)
    this.#flushTimer = undefined
    this.#flushedAt = Date.now()
    const rt = this.#rt
    for (const topic of this.#pending) {
      const diff = topic.flush(this.#seq + 1)
      if (diff !== undefined && rt !== undefined) {
        this.#seq++
        void rt.to(PREFIX + topic.name).emit(EVENT.diff, diff)
      }
      this.#forgetIfIdle(topic.name)
    }
    this.#pending.clear()
  }

  /** Forgets a channel that holds nothing and that no connection of this node watches. */
  #forgetIfIdle(channel: string): void {
    const topic = this.#topics.get(channel)
    if (topic !== undefined && topic.empty && !this.#watchers.has(PREFIX + channel) && !this.#pending.has(topic)) this.#topics.delete(channel)
  }

  #send(message: ClusterMessage): void {
    void this.#rt?.to(CLUSTER_ROOM).emit(EVENT.cluster, message)
  }

  /** A peer's metas of a channel: its view is replaced, and this node's watchers fetch the state again if it changed. */
  #peerState(node: string, channel: string, seq: number, entries: WireEntry[]): void {
    if (!this.#followed.has(channel)) return
    if (this.#topic(channel).replace(node, seq, entries)) this.#tellLocal(channel, EVENT.resync, {})
  }

  /** No connection of this node watches `channel` any more: the other nodes' metas of it, no longer heard, go. */
  #unfollowed(channel: string): void {
    this.#followed.delete(channel)
    const topic = this.#topics.get(channel)
    if (topic === undefined) return
    for (const node of topic.nodes()) if (node !== this.node) topic.drop(node)
    this.#forgetIfIdle(channel)
  }

  /** A peer is gone: its metas leave, and this node's watchers are told (each node tells its own). */
  #peerDown(node: string): void {
    for (const topic of [...this.#topics.values()]) {
      if (topic.drop(node)) this.#tellLocal(topic.name, EVENT.down, { n: node })
      this.#forgetIfIdle(topic.name)
    }
  }

  #tellLocal(channel: string, event: string, data: unknown): void {
    if (this.#watchers.has(PREFIX + channel)) void this.#rt?.local.to(PREFIX + channel).emit(event, data)
  }
}

/** The channel a presence request names. */
function channelOf(data: unknown): string {
  if (!isRecord(data) || !isValidName(data.ch)) throw new RealtimeError(ErrorCode.BadFrame, 'A presence request names its channel: { ch: string }')
  return data.ch
}

/** `length` random characters of [0-9a-z]. */
function randomId(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  return Array.from(bytes, (byte) => (byte % 36).toString(36)).join('')
}
