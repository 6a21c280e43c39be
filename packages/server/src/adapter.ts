/** A broadcast as it travels between nodes. */
export interface BroadcastPacket {
  /** Event name. */
  event: string
  /** Event data. */
  data: unknown
  /** Rooms to deliver to; empty means every connection. */
  rooms: readonly string[]
  /** Rooms and connection ids to leave out. */
  except: readonly string[]
}

/** The part of a server an adapter delivers to. */
export interface AdapterNode {
  /** Delivers `packet` to the matching connections of this node. */
  deliver(packet: BroadcastPacket): void
}

/**
 * Carries broadcasts to every node of a cluster. The default, {@link memoryAdapter}, serves one
 * process; `@org/realtime-redis` serves many.
 */
export interface Adapter {
  /** Called once by the server that uses the adapter. */
  init(node: AdapterNode): void | Promise<void>
  /** Delivers `packet` on every node, this one included. */
  broadcast(packet: BroadcastPacket): void
  /** Releases what the adapter holds. */
  close(): void | Promise<void>
}

/** The in-memory adapter: broadcasts reach the connections of this process. */
export function memoryAdapter(): Adapter {
  let node: AdapterNode | undefined
  return {
    init(target) {
      node = target
    },
    broadcast(packet) {
      node?.deliver(packet)
    },
    close() {
      node = undefined
    },
  }
}
