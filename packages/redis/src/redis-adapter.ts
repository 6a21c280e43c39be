import { randomBytes } from 'node:crypto'
import type { Logger } from '@org/realtime-core'
import {
  TypedEmitter,
  type Adapter,
  type AdapterNode,
  type BroadcastPacket,
  type ForwardedAnswer,
  type ForwardedRequest,
  type HistoryOptions,
  type Published,
  type RoomMember,
  type SessionSnapshot,
} from '@org/realtime-server'
import type { Redis } from 'ioredis'
import { appendToRoom, finiteOrZero, newEpoch, supportsSharded } from './append.js'
import { connectRedis, createRedis, DEFAULT_URL, quit } from './connect.js'
import { KeySpace } from './keys.js'
import { loggerOf } from './logger.js'
import type { RedisAdapterOptions } from './options.js'
import { OutageBuffer, type Buffered } from './outage-buffer.js'
import { RecentSet } from './recent-set.js'
import { RedisHistory } from './redis-history.js'
import { FollowedRooms } from './followed-rooms.js'
import type { FeedEntry, FeedHost, FeedRead } from './room-feed.js'
import { withScripts, type ScriptedRedis } from './scripts.js'
import { ClusterRpc } from './cluster-rpc.js'
import { UnseenAppends, type UnseenAppend } from './unseen-appends.js'
import { FLAG_DELIVERED, FLAG_LOCAL, messageText, packetText, parseEntry, parseMessage, type WireMessage, type WirePacket } from './wire.js'

/** Events of a {@link RedisAdapter}. */
export type RedisAdapterEvents = {
  /** Redis became unreachable: this node goes on delivering to its own connections, and buffers the rest. */
  down: (info: { error: unknown }) => void
  /**
   * Redis is back: subscriptions are restored, `resent` buffered broadcasts were sent, `dropped`
   * did not fit the outage buffer, and every followed channel caught up from its stream.
   */
  up: (info: { downForMs: number; resent: number; dropped: number }) => void
  /** Messages of `room` this node could not deliver: Redis no longer held them when it caught up. */
  lost: (info: { room: string; count: number }) => void
}

/** Counters of a {@link RedisAdapter}, for measurements and health checks. */
export interface RedisAdapterStats {
  /** Bytes this node received from Redis on its pub/sub connection (protocol framing included). */
  readonly bytesReceived: number
  /** Pub/sub messages this node received. */
  readonly messagesReceived: number
  /** Reads of channel streams' entries: a node starting to follow a channel, catching up, or a replay its copy of the channel's last messages did not answer. */
  readonly historyReads: number
  /** Channels this node follows because it has members in them (`followAlways` rooms not counted). */
  readonly followed: number
  /** Broadcasts waiting for Redis. */
  readonly buffered: number
  /** Messages on this app's channels that were ignored (malformed, another version). */
  readonly ignored: number
  /** Whether Redis is reachable. */
  readonly up: boolean
}

/** Milliseconds between two warnings of one kind (foreign messages, a full outage buffer). */
const WARN_EVERY_MS = 10_000

/** Milliseconds before a failed catch-up or recovery is tried again, and before a node that went down checks whether its connections are in fact ready. */
const RETRY_MS = 500

/**
 * Scales a server out on Redis: broadcasts reach every node, each node subscribes only to the
 * channels its own connections are in, and channel history lives in Redis Streams, so a client
 * recovers what it missed on any node. Give it to the server as `adapter` (the server tells it
 * which rooms this node's connections are in):
 *
 * @example
 * const rt = new RealtimeServer({ adapter: redisAdapter({ url: 'redis://127.0.0.1:6379' }) })
 */
export class RedisAdapter extends TypedEmitter<RedisAdapterEvents> implements Adapter {
  /** This node's id in the cluster (random per process). */
  readonly nodeId = randomBytes(9).toString('base64url')
  readonly #options: RedisAdapterOptions
  readonly #keys: KeySpace
  readonly #logger: Logger
  readonly #buffer: OutageBuffer
  readonly #warned = new Map<string, number>()
  /** Own broadcasts delivered here while Redis was away: when they come back through Redis, they are not delivered again. */
  readonly #deliveredHere: RecentSet
  /** Own broadcasts that came back through Redis and were delivered: one whose append failed after that is not delivered again. */
  readonly #appliedOwn = new RecentSet(4096)
  /** Own broadcasts Redis appended whose copies have not come back yet. */
  readonly #unseen = new UnseenAppends()
  /** Those that had not come back when Redis went away: delivered here; sent again if Redis comes back without them. */
  readonly #unseenAtOutage: UnseenAppend[] = []
  /** Own broadcasts whose append is under way. */
  #appending = 0
  /** The outcome of the last own broadcast sent to Redis: it settles once it was appended, or delivered here. */
  #appended: Promise<unknown> = Promise.resolve()
  /** Broadcasts made while Redis was away that wait for the appends under way before they are delivered here. */
  #waitingForAppends = 0
  /** The last of those deliveries, which the next one follows. */
  #deliveriesInOrder: Promise<unknown> = Promise.resolve()
  readonly #feedHost: FeedHost
  #node: AdapterNode | undefined
  #history: RedisHistory | undefined
  #historyOptions: HistoryOptions | undefined
  #cmd: ScriptedRedis | undefined
  #sub: Redis | undefined
  #rpc: ClusterRpc | undefined
  #rooms: FollowedRooms | undefined
  /** Rooms joined before the adapter was connected (a server attached before Redis answered). */
  readonly #joinedEarly = new Set<string>()
  #sharded = false
  #up = false
  #downSince = 0
  #recovering = false
  #closed = false
  #seq = 0
  #bytesBefore = 0
  #messages = 0
  #historyReads = 0
  #ignored = 0
  #touch: ReturnType<typeof setInterval> | undefined

  constructor(options: RedisAdapterOptions = {}) {
    super()
    this.#options = options
    this.#keys = new KeySpace(options.prefix ?? 'rt:')
    this.#logger = loggerOf(options.logger)
    this.#buffer = new OutageBuffer(options.outageBuffer?.messages ?? 10_000, options.outageBuffer?.bytes ?? 16_777_216)
    this.#deliveredHere = new RecentSet(this.#buffer.maxMessages + 4096)
    const adapter = this
    this.#feedHost = {
      open: (room, tail) => this.#open(room, tail),
      read: (room, offset, count) => this.#read(room, offset, count),
      apply: (room, entry) => this.#deliverEntry(room, entry.packet, entry.offset),
      lost: (room, count) => {
        this.#logger.warn('messages of a channel were no longer in Redis when this node caught up', { room, count })
        this.emitLocal('lost', { room, count })
      },
      failed: (room, error) => {
        if (this.#up) this.#logger.warn('reading a channel from Redis failed; trying again', { room, error })
      },
      get up() {
        return adapter.#up
      },
      retryMs: RETRY_MS,
      tailSize: options.tailSize ?? 100,
      pendingLimit: options.pendingLimit ?? 10_000,
      fillBatch: options.fillBatch ?? 500,
      get ageMs() {
        return finiteOrZero(adapter.#historyOptions?.ageMs)
      },
    }
  }

  /** Channel history in Redis, once the server asked for it (`recovery` is not false). */
  get history(): RedisHistory | undefined {
    return this.#history
  }

  /** Counters for measurements and health checks. */
  get stats(): RedisAdapterStats {
    return {
      bytesReceived: this.#bytesBefore + (this.#sub?.stream?.bytesRead ?? 0),
      messagesReceived: this.#messages,
      historyReads: this.#historyReads,
      followed: this.#rooms?.size ?? 0,
      buffered: this.#buffer.size,
      ignored: this.#ignored,
      up: this.#up,
    }
  }

  /** This node's first connection joined `room` (the server tells): hear its broadcasts from now on. */
  roomJoined(room: string): void {
    if (this.#rooms === undefined) this.#joinedEarly.add(room)
    else this.#rooms.follow(room)
  }

  /** This node's last connection left `room`: stop hearing it after `lingerMs`. */
  roomLeft(room: string): void {
    this.#rooms?.maybeUnfollow(room)
  }

  /**
   * Connects to Redis (called by the server when it starts).
   * @throws RealtimeError `CLOSED` when Redis cannot be reached within `connectTimeoutMs` (or
   * refuses), `BAD_REQUEST` for a URL that is not `redis://` or `rediss://`.
   */
  async init(node: AdapterNode): Promise<void> {
    this.#node = node
    this.#historyOptions = node.history
    const url = this.#options.url ?? DEFAULT_URL
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000
    const cmd = withScripts(createRedis(this.#options))
    const sub = createRedis(this.#options)
    this.#cmd = cmd
    this.#sub = sub
    try {
      await Promise.all([connectRedis(cmd, url, timeoutMs), connectRedis(sub, url, timeoutMs)])
    } catch (error) {
      cmd.disconnect()
      sub.disconnect()
      throw error
    }
    this.#sharded = this.#options.sharded === 'auto' || this.#options.sharded === undefined ? await supportsSharded(cmd) : this.#options.sharded
    if (node.history !== undefined) {
      const history = node.history
      const adapter = this
      this.#history = new RedisHistory({
        feedFor: (room) => this.#rooms?.feedFor(room),
        get up() {
          return adapter.#up
        },
        open: (room, tail) => this.#open(room, tail),
        read: (room, offset, count) => this.#read(room, offset, count),
        append: (room, message) => this.#appendOne(room, message),
        size: history.size,
        ageMs: finiteOrZero(history.ageMs),
        catchUpMs: 1000,
      })
    }
    sub.on('message', (channel: string, text: string) => this.#receive(channel, text))
    sub.on('smessage', (channel: string, text: string) => this.#receive(channel, text))
    for (const client of [cmd, sub]) {
      client.on('error', (error: unknown) => this.#wentDown(error))
      client.on('close', () => this.#wentDown(new Error('connection to Redis closed')))
      client.on('ready', () => this.#cameBack())
    }
    sub.on('close', () => {
      // The socket is replaced on reconnect: keep what the old one read.
      this.#bytesBefore += sub.stream?.bytesRead ?? 0
    })
    const rpc = new ClusterRpc({ keys: this.#keys, nodeId: this.nodeId, cmd, node, timeoutMs: this.#options.sessionLookupMs ?? 2000, logger: this.#logger })
    this.#rpc = rpc
    await sub.subscribe(this.#keys.everyone, this.#keys.control, rpc.replies)
    this.#rooms = new FollowedRooms({
      keys: this.#keys,
      sub,
      sharded: this.#sharded,
      history: node.history !== undefined,
      feedHost: this.#feedHost,
      hasMembers: (room) => node.hasMembers(room),
      failed: (room, error) => {
        // Redis is away: the room is subscribed and caught up when it is back.
        this.#wentDown(error)
        this.#feedHost.failed(room, error)
      },
      lingerMs: this.#options.lingerMs ?? 2000,
    })
    this.#up = true
    for (const room of this.#options.followAlways ?? ['presence:#cluster']) this.#rooms.followAlways(room)
    for (const room of this.#joinedEarly) if (node.hasMembers(room)) this.#rooms.follow(room)
    this.#joinedEarly.clear()
    const ageMs = finiteOrZero(node.history?.ageMs)
    if (ageMs > 0) {
      // Rooms with members here keep their epoch while nobody publishes to them.
      this.#touch = setInterval(() => this.#touchFollowed(ageMs), Math.max(250, Math.min(ageMs / 3, 60_000)))
      this.#touch.unref()
    }
  }

  /**
   * Appends the broadcast to each room's stream and publishes it (called by the server for
   * `rt.to(room).emit()` and client publishes); resolves with its offsets. While Redis is
   * unreachable it is delivered to this node's connections at once, kept for Redis, and resolves
   * with no offsets.
   */
  broadcast(packet: BroadcastPacket, options?: { readonly local?: boolean }): readonly number[] | Promise<readonly number[]> {
    const node = this.#node
    if (node === undefined || this.#closed) return NO_OFFSETS
    const local = options?.local === true
    const history = this.#history
    if (packet.rooms.length === 0 || history === undefined) {
      // No offsets: delivered here at once, and sent for the other nodes.
      node.deliver(packet)
      if (!local) this.#send({ packet, flags: FLAG_DELIVERED, seq: ++this.#seq })
      return NO_OFFSETS
    }
    const flags = local ? FLAG_LOCAL : 0
    const seq = ++this.#seq
    if (!this.#up) {
      this.#deliverInTurn(packet, seq)
      this.#keep({ packet, flags: flags | FLAG_DELIVERED, seq })
      return NO_OFFSETS
    }
    const text = packetText(wireOf(packet, this.nodeId, flags, seq))
    const appended = packet.rooms.map((room) => this.#appendOwn(node, room, packet, text, flags, seq))
    this.#appending++
    const outcome = Promise.all(appended).then(
      (offsets) => {
        this.#appending--
        return offsets
      },
      (error: unknown) => {
        this.#appending--
        // Redis answered with an error: not an outage, and nothing to retry.
        if (isReplyError(error)) throw error
        // The connection dropped with it in flight: delivered here now, in its turn before what
        // follows, unless it came back through Redis already; sent again once Redis is back, as
        // a retry that Redis does not append twice.
        this.#wentDown(error)
        if (!this.#appliedOwn.has(seq)) this.#deliverHere(packet, seq)
        this.#keep({ packet, flags: flags | FLAG_DELIVERED, seq, firstTry: text })
        return NO_OFFSETS
      },
    )
    this.#appended = outcome
    return outcome
  }

  /** Finds the session `token` resumes on another node and moves it here. */
  takeSession(token: string): Promise<SessionSnapshot | undefined> {
    if (this.#rpc === undefined || !this.#up) return Promise.resolve(undefined)
    return this.#rpc.takeSession(token)
  }

  /**
   * Has the node holding an HTTP session answer a request of it that came to this node (SSE and
   * long-polling behind a round-robin load balancer): the first request of a session asks every
   * node, the next go straight to the node that answered. Undefined while Redis is unreachable,
   * or when no node holds the session.
   */
  forwardRequest(request: ForwardedRequest, timeoutMs: number): Promise<ForwardedAnswer | undefined> {
    if (this.#rpc === undefined || !this.#up) return Promise.resolve(undefined)
    return this.#rpc.forward(request, timeoutMs)
  }

  /** The members of `room` on every node (the other nodes answer within `sessionLookupMs`). */
  async members(room: string): Promise<RoomMember[]> {
    const own = this.#node?.members(room) ?? []
    if (this.#rpc === undefined || !this.#up) return own
    return [...own, ...(await this.#rpc.members(room))]
  }

  /** Closes the connections to Redis (called by the server when it closes); does not wait for an unreachable Redis. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#up = false
    clearInterval(this.#touch)
    this.#rooms?.close()
    this.#rpc?.close()
    this.#buffer.clear()
    this.#unseenAtOutage.length = 0
    await Promise.all([quit(this.#cmd), quit(this.#sub)])
  }

  /** Appends to `room` (or to the plugin's history that keeps it) and publishes; answers the offset. */
  #appendRoom(node: AdapterNode, room: string, packet: Published, text: string, firstTry: string | undefined): Promise<number> {
    const source = node.historySource(room)
    if (source !== undefined) {
      return Promise.resolve(source.append(room, packet)).then((offset) => {
        this.#publish(room, `[1,null,${offset},0]\n${text}`)
        return offset
      })
    }
    const history = this.#historyOptions as HistoryOptions
    return appendToRoom(this.#cmd as ScriptedRedis, this.#keys, room, text, { size: history.size, ageMs: finiteOrZero(history.ageMs) }, this.#sharded, firstTry).then(({ offset }) => offset)
  }

  /** Appends an own broadcast to `room`, and remembers it until its copy comes back through pub/sub. */
  #appendOwn(node: AdapterNode, room: string, packet: BroadcastPacket, text: string, flags: number, seq: number): Promise<number> {
    if (node.historySource(room) !== undefined) return this.#appendRoom(node, room, packet, text, undefined)
    const history = this.#historyOptions as HistoryOptions
    const limits = { size: history.size, ageMs: finiteOrZero(history.ageMs) }
    return appendToRoom(this.#cmd as ScriptedRedis, this.#keys, room, text, limits, this.#sharded, undefined).then(({ epoch, offset }) => {
      // Only rooms this node follows: the copies of the others never come back here.
      if (this.#appliedOwn.has(seq) || this.#rooms?.get(room) === undefined) return offset
      const append = { room, seq, flags, epoch, packet }
      // Redis went away while it was under way: its copy may never come.
      if (this.#up) this.#unseen.add(append)
      else this.#deliverUnseen(append)
      return offset
    })
  }

  /** {@link RedisHistory.append}: one room, delivered everywhere through Redis. */
  #appendOne(room: string, message: Published): Promise<number> {
    const node = this.#node as AdapterNode
    const text = packetText(wireOf(message, this.#node === undefined ? '' : this.nodeId, 0, ++this.#seq))
    return this.#appendRoom(node, room, message, text, undefined)
  }

  /** Publishes a broadcast without history (to everyone, or with `recovery: false`), or keeps it for later. */
  #send(item: Buffered): void {
    if (!this.#up) return this.#keep(item)
    const text = messageText(wireOf(item.packet, this.nodeId, item.flags, item.seq))
    if (item.packet.rooms.length === 0) {
      this.#publishTo(this.#keys.everyone, text, false).catch((error: unknown) => {
        this.#wentDown(error)
        this.#keep(item)
      })
      return
    }
    for (const room of item.packet.rooms) this.#publish(room, text)
  }

  #publish(room: string, text: string): void {
    this.#publishTo(this.#keys.channel(room), text, this.#sharded).catch((error: unknown) => this.#wentDown(error))
  }

  #publishTo(channel: string, text: string, sharded: boolean): Promise<unknown> {
    const cmd = this.#cmd as Redis
    return sharded ? cmd.spublish(channel, text) : cmd.publish(channel, text)
  }

  #keep(item: Buffered): void {
    const before = this.#buffer.dropped
    this.#buffer.push(item)
    if (this.#buffer.dropped > before) this.#warn('buffer', 'the outage buffer is full: the oldest broadcasts waiting for Redis were dropped', { limit: this.#buffer.maxMessages })
  }

  /** A message heard on pub/sub. */
  #receive(channel: string, text: string): void {
    this.#messages++
    if (channel === this.#keys.control || channel === this.#rpc?.replies) return this.#rpc?.receive(channel, text)
    const message = parseMessage(text)
    if (typeof message === 'string') {
      this.#ignored++
      const why = message === 'version' ? 'of another version of @org/realtime-redis' : 'that is not one of ours'
      this.#warn(message, `ignored a message ${why} on channel ${channel}`, { channel })
      return
    }
    const node = this.#node
    if (node === undefined) return
    if (channel === this.#keys.everyone) {
      if (message.origin === this.nodeId) return
      node.deliver({ event: message.event, json: message.json, rooms: [], except: message.except })
      return
    }
    const room = this.#keys.roomOf(channel)
    if (room === undefined) return
    if (message.epoch === null) {
      // No history of ours: delivered as it comes (a plugin's history gave its offset).
      this.#deliverEntry(room, message, message.offset ?? undefined)
      return
    }
    this.#rooms?.get(room)?.receive(message)
  }

  /** Delivers a message of `room` to this node's members of it, unless its flags say otherwise. */
  #deliverEntry(room: string, packet: WirePacket | WireMessage, offset: number | undefined): void {
    if (packet.origin === this.nodeId) {
      this.#unseen.seen(room, packet.seq)
      if ((packet.flags & FLAG_DELIVERED) !== 0 || this.#deliveredHere.has(packet.seq)) return
      this.#appliedOwn.add(packet.seq)
    } else if ((packet.flags & FLAG_LOCAL) !== 0) return
    this.#deliverInRoom(room, packet, offset)
  }

  /** Delivers a broadcast's copy of `room` to this node's members of it. */
  #deliverInRoom(room: string, packet: Published, offset: number | undefined): void {
    const node = this.#node
    if (node === undefined) return
    // A connection in several of the packet's rooms gets it once, from the first: each room's
    // copy leaves out the members of the rooms before it.
    const position = packet.rooms.indexOf(room)
    const except = position <= 0 ? packet.except : [...packet.except, ...packet.rooms.slice(0, position)]
    node.deliver({ event: packet.event, json: packet.json, rooms: [room], except, ...(offset === undefined ? {} : { offsets: [offset] }) })
  }

  /** Delivers an own broadcast to this node's connections, without offsets, while Redis is away. */
  #deliverHere(packet: BroadcastPacket, seq: number): void {
    this.#node?.deliver(packet)
    this.#deliveredHere.add(seq)
  }

  /** Delivers here an own broadcast whose copy had not come back when Redis went away, and keeps it for {@link #resendUnseen}. */
  #deliverUnseen(append: UnseenAppend): void {
    if (!this.#deliveredHere.has(append.seq)) this.#deliverInRoom(append.room, append.packet, undefined)
    this.#deliveredHere.add(append.seq)
    this.#unseenAtOutage.push(append)
  }

  /**
   * {@link #deliverHere} for a broadcast made while Redis is away, after the own broadcasts whose
   * appends were under way when it went: their outcome (appended, or delivered here) comes first.
   */
  #deliverInTurn(packet: BroadcastPacket, seq: number): void {
    if (this.#appending === 0 && this.#waitingForAppends === 0) return this.#deliverHere(packet, seq)
    if (this.#waitingForAppends === 0) this.#deliveriesInOrder = this.#appended
    this.#waitingForAppends++
    const deliver = (): void => {
      this.#waitingForAppends--
      this.#deliverHere(packet, seq)
    }
    // After the outcome whatever it was (a broadcast Redis refused rejects).
    this.#deliveriesInOrder = this.#deliveriesInOrder.then(deliver, deliver)
  }

  async #open(room: string, tail: number): Promise<FeedRead> {
    if (tail > 0) this.#historyReads++
    const [epoch, offset, raw] = await (this.#cmd as ScriptedRedis).rtOpen(
      this.#keys.meta(room),
      this.#keys.stream(room),
      newEpoch(),
      finiteOrZero(this.#historyOptions?.ageMs),
      tail,
    )
    return { epoch: String(epoch), offset: Number(offset), entries: this.#entries(raw, room).reverse() }
  }

  async #read(room: string, offset: number, count: number): Promise<FeedRead> {
    if (count > 0) this.#historyReads++
    const [epoch, last, raw] = await (this.#cmd as ScriptedRedis).rtRead(this.#keys.meta(room), this.#keys.stream(room), `${Math.max(1, offset)}-0`, count)
    return { epoch: epoch === null ? null : String(epoch), offset: Number(last), entries: this.#entries(raw, room) }
  }

  #entries(raw: unknown[], room: string): FeedEntry[] {
    const entries: FeedEntry[] = []
    for (const item of raw) {
      const entry = parseEntry(item)
      if (entry !== undefined) entries.push(entry)
      else {
        this.#ignored++
        this.#warn('entry', 'ignored a stream entry that is not one of ours', { room })
      }
    }
    return entries
  }

  #wentDown(error: unknown): void {
    if (this.#closed || !this.#up) return
    this.#up = false
    this.#downSince = Date.now()
    this.#logger.warn('Redis is unreachable: delivering to this node only, buffering broadcasts for the others', { error })
    // Own broadcasts Redis answered whose copies had not come back may never come now: delivered
    // here, before what follows.
    for (const append of this.#unseen.take()) this.#deliverUnseen(append)
    this.emitLocal('down', { error })
    // A command can fail while both connections stay ready (no `ready` event follows then): look again.
    setTimeout(() => this.#cameBack(), 2 * RETRY_MS).unref()
  }

  /** A connection is ready again: once both are, resend what waited and catch every feed up. */
  #cameBack(): void {
    if (this.#closed || this.#up || this.#recovering || this.#cmd?.status !== 'ready' || this.#sub?.status !== 'ready') return
    this.#recovering = true
    this.#recover().then(
      () => {
        this.#recovering = false
      },
      (error: unknown) => {
        this.#recovering = false
        this.#logger.warn('catching up with Redis failed; trying again', { error })
        setTimeout(() => this.#cameBack(), RETRY_MS).unref()
      },
    )
  }

  async #recover(): Promise<void> {
    const sub = this.#sub as Redis
    const node = this.#node as AdapterNode
    // Answered after the subscriptions ioredis restored on reconnect: nothing published from now on is missed.
    await sub.ping()
    await this.#resendUnseen(node)
    let resent = 0
    for (let item = this.#buffer.peek(); item !== undefined && !this.#closed; item = this.#buffer.peek()) {
      if (item.packet.rooms.length === 0 || this.#history === undefined) {
        const text = messageText(wireOf(item.packet, this.nodeId, item.flags, item.seq))
        if (item.packet.rooms.length === 0) await this.#publishTo(this.#keys.everyone, text, false)
        else for (const room of item.packet.rooms) await this.#publishTo(this.#keys.channel(room), text, this.#sharded)
      } else {
        const text = packetText(wireOf(item.packet, this.nodeId, item.flags, item.seq))
        await Promise.all(item.packet.rooms.map((room) => this.#appendRoom(node, room, item.packet, text, item.firstTry)))
      }
      this.#buffer.shift()
      resent++
    }
    if (this.#closed) return
    const dropped = this.#buffer.dropped
    this.#buffer.dropped = 0
    this.#up = true
    await this.#rooms?.restore()
    const downForMs = Date.now() - this.#downSince
    this.#logger.info('Redis is reachable again', { downForMs, resent, dropped })
    this.emitLocal('up', { downForMs, resent, dropped })
  }

  /**
   * Sends again, for the other nodes, the own broadcasts whose copies had not come back when Redis
   * went away, when Redis came back without them (restarted without persistence): under the same
   * sender and number, which the nodes that had them recognise. With the history kept, the other
   * nodes read them from the streams.
   */
  async #resendUnseen(node: AdapterNode): Promise<void> {
    const epochs = new Map<string, string | null>()
    for (let append = this.#unseenAtOutage[0]; append !== undefined && !this.#closed; append = this.#unseenAtOutage[0]) {
      let epoch = epochs.get(append.room)
      if (epoch === undefined) epochs.set(append.room, (epoch = (await this.#read(append.room, 0, 0)).epoch))
      if (epoch !== append.epoch) {
        const text = packetText(wireOf(append.packet, this.nodeId, append.flags | FLAG_DELIVERED, append.seq))
        await this.#appendRoom(node, append.room, append.packet, text, undefined)
      }
      this.#unseenAtOutage.shift()
    }
  }

  #touchFollowed(ageMs: number): void {
    if (!this.#up || this.#rooms === undefined) return
    const pipeline = (this.#cmd as Redis).pipeline()
    for (const feed of this.#rooms.feeds()) pipeline.pexpire(this.#keys.meta(feed.room), ageMs)
    if (pipeline.length === 0) return
    pipeline.exec().catch(() => {})
  }

  /** Logs a warning of `kind` at most once per {@link WARN_EVERY_MS}: a flood of foreign messages floods no log. */
  #warn(kind: string, message: string, context: Record<string, unknown>): void {
    const now = Date.now()
    if (now - (this.#warned.get(kind) ?? -Infinity) < WARN_EVERY_MS) return
    this.#warned.set(kind, now)
    this.#logger.warn(message, context)
  }
}

/** Whether Redis answered `error` (a script or command error), as opposed to a lost connection. */
function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError'
}

/** No offsets: a broadcast without history, to everyone, or while Redis is away. */
const NO_OFFSETS: readonly number[] = []

/**
 * The Redis adapter (see {@link RedisAdapter}): give it to the server as `adapter`.
 */
export function redisAdapter(options: RedisAdapterOptions = {}): RedisAdapter {
  return new RedisAdapter(options)
}

function wireOf(packet: Published, origin: string, flags: number, seq: number): WirePacket {
  return { event: packet.event, json: packet.json, rooms: packet.rooms, except: packet.except, origin, flags, seq }
}

