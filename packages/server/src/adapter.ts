import type { ForwardedAnswer, ForwardedRequest } from '@org/realtime-core'
import { MemoryHistory, type HistoryOptions, type HistoryStore, type MaybePromise } from './history.js'
import { isThenable } from './internal/is-thenable.js'
import type { RoomMember } from './room-members.js'

/** A broadcast as it travels between nodes. */
export interface BroadcastPacket {
  /** Event name. */
  event: string
  /**
   * Event data, encoded as JSON once by whoever broadcast it (`encodeData` of
   * `@org/realtime-core`); undefined when the event carries none. Encoded before it is kept or
   * sent, so data that cannot be encoded is refused to the caller and never enters history.
   */
  json: string | undefined
  /** Rooms to deliver to; empty means every connection. */
  rooms: readonly string[]
  /** Rooms and connection ids to leave out. */
  except: readonly string[]
  /** With history: the event's offset in each room of `rooms`, in the same order. */
  offsets?: readonly number[]
}

/** How a broadcast travels. */
export interface BroadcastOptions {
  /**
   * Deliver on this node only: a cluster adapter does not send it to the other nodes (its offsets
   * are still assigned, and it is still kept in history).
   * @default false
   */
  readonly local?: boolean
}

/** The part of a server an adapter delivers to. */
export interface AdapterNode {
  /** Delivers `packet` to the matching connections of this node. */
  deliver(packet: BroadcastPacket): void
  /** How much channel history to keep, or undefined when the server keeps none (`recovery: false`). */
  readonly history: HistoryOptions | undefined
  /** Whether `room` has members on this node: its history must not be forgotten while it does. */
  hasMembers(room: string): boolean
  /**
   * The history of `room` when it is not the adapter's: a plugin that claims the room's namespace
   * keeps it (database changes, say). Broadcasts to that room are appended there.
   */
  historySource(room: string): HistoryStore | undefined
  /** The members of `room` on this node, for a cluster adapter's {@link Adapter.members}. */
  members(room: string): RoomMember[]
  /**
   * Hands over the session `token` resumes, when this node holds it: the session leaves this node
   * (its rooms with reason `'moved'`, then the server's `moved` event) and its state is returned,
   * for the node its client reconnected to. Undefined when this node holds no such session, or one
   * that cannot be resumed.
   */
  releaseSession(token: string): SessionSnapshot | undefined
  /**
   * Answers an HTTP request another node received for a session this node holds (see
   * {@link Adapter.forwardRequest}); undefined, at once, when this node does not hold it.
   */
  answerRequest(request: ForwardedRequest): Promise<ForwardedAnswer> | undefined
}

/**
 * A resumable session as it moves between nodes ({@link Adapter.takeSession}): plain JSON, so a
 * cluster adapter can carry it as it is. Its `data` is the connection's `data`, which must then be
 * JSON too. Its tokens are secrets: carry it only over the cluster's own links.
 */
export interface SessionSnapshot {
  /** The format's version: 1. */
  readonly v: 1
  /** The connection id, kept on the new node. */
  readonly id: string
  /** The connection's `data`. */
  readonly data: unknown
  /** When its credentials expire (ms since the epoch), if they do. */
  readonly expiresAt?: number
  /** The tokens that resume it: the last one issued and, until proven, the one before. */
  readonly tokens: readonly string[]
  /** Its rooms, each with where the room's history stood when it joined (epoch and offset, or null). */
  readonly rooms: ReadonlyArray<readonly [room: string, epoch: string | null, offset: number | null]>
  /** The sequence number of the last frame sent to the session. */
  readonly seq: number
  /** Frames sent to the session and not yet confirmed, in order: the last is frame `seq`. */
  readonly frames: readonly string[]
  /** The sequence number of the last frame received from its client. */
  readonly inSeq: number
}

/**
 * Carries broadcasts to every node of a cluster and keeps channel history. The default,
 * {@link memoryAdapter}, serves one process; `@org/realtime-redis` serves many. Methods that a
 * networked store answers later return promises; the memory adapter answers at once.
 */
export interface Adapter {
  /** Called once by the server that uses the adapter. */
  init(node: AdapterNode): MaybePromise<void>
  /**
   * Delivers `packet` on every node, this one included (only this one with `options.local`). With
   * history, each room of the packet first gets the event appended to its history (the adapter's,
   * or the room's `historySource`), and the packet carries the offsets. Returns them, one per
   * room in the packet's order (empty without history or rooms).
   */
  broadcast(packet: BroadcastPacket, options?: BroadcastOptions): MaybePromise<readonly number[]>
  /** Channel history, after `init` asked for it. */
  readonly history: HistoryStore | undefined
  /**
   * The members of `room` on every node, for `rt.in(room)`; without it, the server lists this
   * node's own.
   */
  members?(room: string): Promise<RoomMember[]>
  /**
   * The first of this node's connections joined `room`: a cluster adapter starts hearing the
   * room's broadcasts from the other nodes. Called before the connection is delivered anything.
   */
  roomJoined?(room: string): void
  /** The last of this node's connections left `room`: a cluster adapter may stop hearing it. */
  roomLeft?(room: string): void
  /**
   * Finds the session `token` resumes on another node and moves it here: asks every other node's
   * {@link AdapterNode.releaseSession} and answers the snapshot of the one that held it, or
   * undefined. Without it, a client resumes only on the node that holds its session (elsewhere it
   * starts a new one and recovers its channels by offset).
   */
  takeSession?(token: string): Promise<SessionSnapshot | undefined>
  /**
   * Has the node that holds an HTTP session answer a request of it that this node received (SSE
   * and long-polling behind a load balancer without sticky sessions): asks the other nodes'
   * {@link AdapterNode.answerRequest}, waiting at most `timeoutMs` for the answer (a long poll is
   * held that long). Undefined when no node holds the session. Without it, such a request is
   * answered 404 and the client opens a new session that resumes the old one.
   */
  forwardRequest?(request: ForwardedRequest, timeoutMs: number): Promise<ForwardedAnswer | undefined>
  /** Releases what the adapter holds. */
  close(): MaybePromise<void>
}

/** No offsets: a broadcast without history, or to every connection. */
const NO_OFFSETS: readonly number[] = []

/** The in-memory adapter: broadcasts reach the connections of this process, history stays in it. */
export function memoryAdapter(): Adapter {
  let node: AdapterNode | undefined
  let history: MemoryHistory | undefined
  return {
    init(target) {
      node = target
      history = target.history === undefined ? undefined : new MemoryHistory(target.history, (room) => target.hasMembers(room))
    },
    get history() {
      return history
    },
    broadcast(packet) {
      const target = node
      if (history === undefined || packet.rooms.length === 0 || target === undefined) {
        target?.deliver(packet)
        return NO_OFFSETS
      }
      const own = history
      const appended = packet.rooms.map((room) => (target.historySource(room) ?? own).append(room, packet))
      if (!appended.some(isThenable)) {
        const offsets = appended as number[]
        target.deliver({ ...packet, offsets })
        return offsets
      }
      // A room whose history answers later: the broadcast goes out once every offset is known.
      return Promise.all(appended).then((offsets) => {
        target.deliver({ ...packet, offsets })
        return offsets
      })
    },
    close() {
      history?.close()
      history = undefined
      node = undefined
    },
  }
}
