import { channelEventText, eventFrameText } from '@org/realtime-core'
import type { BroadcastPacket } from '../adapter.js'
import type { RoomRegistry } from '../rooms.js'

/** What delivery needs of a connection. */
interface Recipient {
  readonly id: string
  sendEncoded(frame: string): void
  /** Sends a frame of `room` at `offset`, unless the room's live messages are held back for a replay. */
  deliverFrame(room: string, offset: number | undefined, frame: string): void
}

/**
 * Delivers a broadcast to this node's matching connections, each once, building the frame once
 * per room (it carries the room's name and offset) around data encoded once, not per recipient.
 */
export function deliver<TConn extends Recipient>(packet: BroadcastPacket, connections: ReadonlyMap<string, TConn>, rooms: RoomRegistry<TConn>): void {
  const excluded = packet.except.length === 0 && packet.rooms.length <= 1 ? NOBODY : excludedBy(packet.except, rooms)
  if (packet.rooms.length === 0) {
    const frame = eventFrameText(packet.event, packet.json)
    for (const conn of connections.values()) if (!isExcluded(excluded, conn)) conn.sendEncoded(frame)
    return
  }
  for (let index = 0; index < packet.rooms.length; index++) {
    const room = packet.rooms[index] as string
    const members = rooms.members(room)
    if (members.size === 0) continue
    const offset = packet.offsets?.[index]
    const frame = channelEventText(room, offset, packet.event, packet.json)
    for (const conn of members) {
      if (isExcluded(excluded, conn)) continue
      conn.deliverFrame(room, offset, frame)
      if (packet.rooms.length > 1) excluded.add(conn)
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
function excludedBy<TConn extends Recipient>(except: readonly string[], rooms: RoomRegistry<TConn>): Set<TConn | string> {
  const excluded = new Set<TConn | string>(except)
  for (const name of except) for (const member of rooms.members(name)) excluded.add(member)
  return excluded
}

function isExcluded<TConn extends Recipient>(excluded: Set<TConn | string>, conn: TConn): boolean {
  return excluded !== NOBODY && (excluded.has(conn) || excluded.has(conn.id))
}
