import { MemoryHistory, type HistoryOptions, type HistoryStore } from './history.js'

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

/** The part of a server an adapter delivers to. */
export interface AdapterNode {
  /** Delivers `packet` to the matching connections of this node. */
  deliver(packet: BroadcastPacket): void
  /** How much channel history to keep, or undefined when the server keeps none (`recovery: false`). */
  readonly history: HistoryOptions | undefined
  /** Whether `room` has members on this node: its history must not be forgotten while it does. */
  hasMembers(room: string): boolean
}

/**
 * Carries broadcasts to every node of a cluster and keeps channel history. The default,
 * {@link memoryAdapter}, serves one process; `@org/realtime-redis` serves many.
 */
export interface Adapter {
  /** Called once by the server that uses the adapter. */
  init(node: AdapterNode): void | Promise<void>
  /**
   * Delivers `packet` on every node, this one included. With history, each room of the packet
   * first gets the event appended to its history, and the packet carries the offsets.
   */
  broadcast(packet: BroadcastPacket): void
  /** Channel history, after `init` asked for it. */
  readonly history: HistoryStore | undefined
  /** Releases what the adapter holds. */
  close(): void | Promise<void>
}

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
      if (history !== undefined && packet.rooms.length > 0) {
        const store = history
        const published = packet
        packet = { ...packet, offsets: packet.rooms.map((room) => store.append(room, published)) }
      }
      node?.deliver(packet)
    },
    close() {
      history?.close()
      history = undefined
      node = undefined
    },
  }
}
