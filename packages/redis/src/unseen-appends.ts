import type { BroadcastPacket } from '@org/realtime-server'

/** An own broadcast Redis appended to a room, whose copy has not come back through pub/sub yet. */
export interface UnseenAppend {
  readonly room: string
  readonly seq: number
  /** Its wire flags (`FLAG_LOCAL` for a broadcast the other nodes do not deliver). */
  readonly flags: number
  /** The room history's epoch it was appended in. */
  readonly epoch: string
  readonly packet: BroadcastPacket
}

/** Most unseen appends kept per room: they come back within milliseconds unless Redis goes away. */
const PER_ROOM = 1024

/**
 * This node's broadcasts that Redis appended (it answered) but whose copy has not come back
 * through pub/sub yet. When Redis goes away at that moment, the copy may never come: the node
 * delivers them here itself, before anything it broadcasts next, and, when Redis comes back
 * without them (restarted without persistence), sends them again for the other nodes.
 */
export class UnseenAppends {
  readonly #byRoom = new Map<string, UnseenAppend[]>()

  add(append: UnseenAppend): void {
    let list = this.#byRoom.get(append.room)
    if (list === undefined) this.#byRoom.set(append.room, (list = []))
    list.push(append)
    if (list.length > PER_ROOM) list.shift()
  }

  /** The copy of own broadcast `seq` came back in `room`: it and the earlier ones are seen (a room's copies come back in order). */
  seen(room: string, seq: number): void {
    const list = this.#byRoom.get(room)
    if (list === undefined) return
    let count = 0
    while (count < list.length && (list[count] as UnseenAppend).seq <= seq) count++
    if (count === list.length) this.#byRoom.delete(room)
    else if (count > 0) list.splice(0, count)
  }

  /** Every unseen append, in the order they were broadcast; forgets them. */
  take(): UnseenAppend[] {
    const all = [...this.#byRoom.values()].flat().sort((a, b) => a.seq - b.seq)
    this.#byRoom.clear()
    return all
  }
}
