import { channelEventText, eventFrameText } from '@org/realtime-core'
import type { BroadcastPacket } from '../adapter.js'
import type { RoomRegistry } from '../rooms.js'

/** What delivery needs of a connection. */
interface Recipient {
  readonly id: string
  sendEncoded(frame: string): void
}

/**
 * Delivers a broadcast to this node's matching connections, each once, building the frame once
 * per room (it carries the room's name and offset) around data encoded once, not per recipient.
 */
export function deliver<TConn extends Recipient>(packet: BroadcastPacket, connections: ReadonlyMap<string, TConn>, rooms: RoomRegistry<TConn>): void {
  const excluded = packet.except.length === 0 && packet.rooms.length <= 1 ? NOBODY : excludedBy(packet.except, connections, rooms)
  if (packet.rooms.length === 0) {
    const frame = eventFrameText(packet.event, packet.json)
    for (const conn of connections.values()) if (!excluded.has(conn)) conn.sendEncoded(frame)
    return
  }
  for (let index = 0; index < packet.rooms.length; index++) {
    const room = packet.rooms[index] as string
    const members = rooms.members(room)
    if (members.size === 0) continue
    const offset = packet.offsets?.[index]
    const frame = channelEventText(room, offset, packet.event, packet.json)
    for (const conn of members) {
      if (excluded.has(conn)) continue
      conn.sendEncoded(frame)
      if (packet.rooms.length > 1) excluded.add(conn)
    }
  }
}

/** No connection: the common broadcast, to one room or all, with no `except`. */
const NOBODY: Set<never> = new Set()

/** The connections `except` names, by id or by a room they are in. */
function excludedBy<TConn extends Recipient>(except: readonly string[], connections: ReadonlyMap<string, TConn>, rooms: RoomRegistry<TConn>): Set<TConn> {
  const excluded = new Set<TConn>()
  for (const name of except) {
    const conn = connections.get(name)
    if (conn !== undefined) excluded.add(conn)
    for (const member of rooms.members(name)) excluded.add(member)
  }
  return excluded
}
