import type { Adapter, AdapterNode, BroadcastPacket } from '@org/realtime-server'
import type { Logger } from '@org/realtime-core'
import { isValidName } from '@org/realtime-core'
import { CLUSTER_ROOM, EVENT, PREFIX, isRecord, isWireDiff, isWireEntry, type ClusterMessage, type WireDiff, type WireEntry } from './wire.js'

function isValidChannel(value: unknown): value is string {
  return isValidName(value)
}

/** What the cluster link needs of the presence plugin of its node. */
export interface ClusterHost {
  /** This node's id. */
  readonly self: string
  /** The number of this node's last diff. */
  readonly seq: number
  /** Sends `message` to every node (this one included), through the adapter. */
  send(message: ClusterMessage): void
  /** A peer's diff of `channel` arrived; false when it does not follow on from what this node has of that peer (ask for its state). */
  diff(channel: string, diff: WireDiff): boolean
  /** A peer's metas of `channel`, as of its diff `seq`, arrived. */
  state(node: string, channel: string, seq: number, entries: WireEntry[]): void
  /** This node hears `channel` from now on (a connection of it watches it). */
  followed(channel: string): void
  /** This node no longer hears `channel` (no connection of it watches it): the peers' metas of it go stale. */
  unfollowed(channel: string): void
  /** A peer is gone: it expired, or said goodbye. */
  down(node: string): void
  /** This node's metas of `channel`, as of its last diff of it, for a peer that asks. */
  ownState(channel: string): [seq: number, entries: WireEntry[]]
}

interface Peer {
  lastSeen: number
}

/**
 * Keeps the presence of the nodes of a cluster in step, through whatever adapter carries their
 * broadcasts. A node hears the presence channels its connections watch (an adapter that follows
 * rooms, as the Redis one does, is told by the server) and the cluster's room (which the link
 * follows itself); when it starts hearing a channel it asks the other nodes for their metas of it,
 * and again for one node's when a diff of that node does not follow on from what it has. Every
 * node sends a heartbeat every `heartbeatMs`, and the metas of a node not heard from for nearly
 * three heartbeats are dropped. Not exported from the package.
 */
export class ClusterLink {
  readonly #peers = new Map<string, Peer>()
  readonly #host: ClusterHost
  readonly #heartbeatMs: number
  readonly #logger: Logger
  #adapter: Adapter | undefined
  #beat: ReturnType<typeof setInterval> | undefined
  #sweep: ReturnType<typeof setInterval> | undefined
  #stopped = false

  constructor(host: ClusterHost, heartbeatMs: number, logger: Logger) {
    this.#host = host
    this.#heartbeatMs = heartbeatMs
    this.#logger = logger
  }

  /** Wraps `adapter` so that this link sees what it delivers, and starts once the adapter is ready. */
  wrap(adapter: Adapter): Adapter {
    const init = (node: AdapterNode): unknown => {
      const seen = new Proxy(node, {
        get: (target, property) =>
          property === 'deliver'
            ? (packet: BroadcastPacket) => {
                this.received(packet)
                target.deliver(packet)
              }
            : Reflect.get(target, property, target),
      })
      const ready = adapter.init(seen)
      if (typeof (ready as PromiseLike<void> | undefined)?.then !== 'function') {
        this.start()
        return ready
      }
      return Promise.resolve(ready).then(() => this.start())
    }
    const joined = (room: string): void => {
      adapter.roomJoined?.(room)
      // Heard from now on: the other nodes' metas of it so far are asked for.
      if (!room.startsWith(PREFIX) || room === CLUSTER_ROOM) return
      const channel = room.slice(PREFIX.length)
      this.#host.followed(channel)
      this.#host.send({ t: 'req', n: this.#host.self, to: '*', ch: channel })
    }
    const left = (room: string): void => {
      if (room === CLUSTER_ROOM) return
      adapter.roomLeft?.(room)
      if (room.startsWith(PREFIX)) this.#host.unfollowed(room.slice(PREFIX.length))
    }
    this.#adapter = adapter
    return new Proxy(adapter, {
      get: (target, property) => {
        if (property === 'init') return init
        if (property === 'roomJoined') return joined
        if (property === 'roomLeft') return left
        const value: unknown = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  }

  /** Announces this node: asks every node for its state, and starts the heartbeats. */
  start(): void {
    if (this.#stopped || this.#beat !== undefined) return
    const self = this.#host.self
    // The nodes' own room, which no connection joins: an adapter that follows rooms is told here.
    this.#adapter?.roomJoined?.(CLUSTER_ROOM)
    this.#host.send({ t: 'hb', n: self, s: this.#host.seq })
    this.#beat = setInterval(() => this.#host.send({ t: 'hb', n: self, s: this.#host.seq }), this.#heartbeatMs)
    // Checked four times a heartbeat: a node is dropped within three heartbeats of its last one.
    this.#sweep = setInterval(() => this.#expire(), this.#heartbeatMs / 4)
    this.#beat.unref?.()
    this.#sweep.unref?.()
  }

  /** Stops the heartbeats; with `goodbye`, tells the other nodes to drop this node's metas now. */
  stop(goodbye: boolean): void {
    if (this.#stopped) return
    this.#stopped = true
    clearInterval(this.#beat)
    clearInterval(this.#sweep)
    if (goodbye && this.#beat !== undefined) this.#host.send({ t: 'bye', n: this.#host.self })
    if (this.#beat !== undefined) this.#adapter?.roomLeft?.(CLUSTER_ROOM)
  }

  /** Every broadcast the adapter delivers on this node: the presence ones are read. */
  received(packet: BroadcastPacket): void {
    if (this.#stopped || packet.rooms.length !== 1 || packet.json === undefined) return
    const room = packet.rooms[0] as string
    if (!room.startsWith(PREFIX)) return
    try {
      if (room === CLUSTER_ROOM && packet.event === EVENT.cluster) this.#message(JSON.parse(packet.json) as unknown)
      else if (packet.event === EVENT.diff) this.#diff(room.slice(PREFIX.length), JSON.parse(packet.json) as unknown)
    } catch (error) {
      this.#logger.error('presence: a message from another node failed', { error, room, event: packet.event })
    }
  }

  #diff(channel: string, diff: unknown): void {
    if (!isWireDiff(diff) || diff.n === this.#host.self) return
    this.#heard(diff.n)
    // A diff missed in between, or a channel heard since too short a time: that node's metas of it.
    if (!this.#host.diff(channel, diff)) this.#host.send({ t: 'req', n: this.#host.self, to: diff.n, ch: channel })
  }

  #message(message: unknown): void {
    if (!isRecord(message) || typeof message.n !== 'string' || message.n === this.#host.self) return
    const node = message.n
    switch (message.t) {
      case 'hb':
        this.#heard(node)
        return
      case 'req':
        this.#heard(node)
        if ((message.to === '*' || message.to === this.#host.self) && isValidChannel(message.ch)) {
          const [seq, entries] = this.#host.ownState(message.ch)
          // Nothing to tell a node that asks every node: only those with metas answer.
          if (message.to === '*' && entries.length === 0 && seq === 0) return
          this.#host.send({ t: 'state', n: this.#host.self, ch: message.ch, s: seq, e: entries })
        }
        return
      case 'state':
        if (!isValidChannel(message.ch) || typeof message.s !== 'number' || !Array.isArray(message.e) || !message.e.every(isWireEntry)) return
        this.#heard(node)
        this.#host.state(node, message.ch, message.s, message.e)
        return
      case 'bye':
        this.#peers.delete(node)
        this.#host.down(node)
        return
    }
  }

  /** Notes that `node` lives: it expires when it stops being heard from. */
  #heard(node: string): void {
    const peer = this.#peers.get(node)
    if (peer === undefined) this.#peers.set(node, { lastSeen: Date.now() })
    else peer.lastSeen = Date.now()
  }

  #expire(): void {
    const deadline = Date.now() - this.#heartbeatMs * 2.75
    for (const [node, peer] of this.#peers) {
      if (peer.lastSeen >= deadline) continue
      this.#peers.delete(node)
      this.#host.down(node)
    }
  }
}
