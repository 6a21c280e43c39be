import { channelEventText, eventFrameText } from '@org/realtime-core'
import type { BroadcastPacket } from '../adapter.js'
import { coreOf, type Connection } from '../connection.js'
import type { RoomRegistry } from '../rooms.js'

/** What delivery needs of a connection's internal state. */
interface Recipient {
  readonly id: string
  sendEncoded(frame: string): void
  /** Sends a frame of `room` at `offset`, unless the room's live messages are held back for a replay. */
  deliverFrame(room: string, offset: number | undefined, frame: string): void
}

/**
 * Delivers a broadcast to this node's matching connections, each once, building the frame once
 * per room (it carries the room's name and offset) around data encoded once, not per recipient.
 * Rooms hold the connections' internal state, so a delivery to a room member touches that alone.
 */
export function deliver<TCore extends Recipient>(packet: BroadcastPacket, connections: ReadonlyMap<string, Connection<any>>, rooms: RoomRegistry<TCore>): void {
  const excluded = packet.except.length === 0 && packet.rooms.length <= 1 ? NOBODY : excludedBy(packet.except, rooms)
  if (packet.rooms.length === 0) {
    const frame = eventFrameText(packet.event, packet.json)
    for (const conn of connections.values()) {
      const core = coreOf(conn)
      if (!isExcluded(excluded, core)) core.sendEncoded(frame)
    }
    return
  }
  for (let index = 0; index < packet.rooms.length; index++) {
    const room = packet.rooms[index] as string
    const members = rooms.members(room)
    if (members.size === 0) continue
    const offset = packet.offsets?.[index]
    const frame = channelEventText(room, offset, packet.event, packet.json)
    for (const core of members) {
      if (isExcluded(excluded, core)) continue
      core.deliverFrame(room, offset, frame)
      if (packet.rooms.length > 1) excluded.add(core)
    }
  }
}

/** No connection: the common broadcast, to one room or all, with no `except`. */
const NOBODY: Set<never> = new Set()

/**
 * What `except` leaves out: the members of the rooms it names, and the ids it names. By id, so
 * that a session that waits to be resumed (a room member whose live messages may be held for its
 * replay) is left out too.
 */
function excludedBy<TCore extends Recipient>(except: readonly string[], rooms: RoomRegistry<TCore>): Set<Recipient | string> {
  const excluded = new Set<Recipient | string>(except)
  for (const name of except) for (const member of rooms.members(name)) excluded.add(member)
  return excluded
}

function isExcluded(excluded: Set<Recipient | string>, core: Recipient): boolean {
  return excluded !== NOBODY && (excluded.has(core) || excluded.has(core.id))
}
