import { randomUUID } from 'node:crypto'
import { RealtimeError, type Connection, type RealtimeServer, type RealtimeServerOptions } from '@org/realtime-server'
import { RoomHistory } from './history.js'
import { RoomPresence } from './presence.js'
import type { ChatMessage, ChatUser, JoinResult } from './types.js'
import { BAD_INPUT, parseName, parseRoomId, parseText } from './validate.js'

/**
 * The server options the chat needs: a name to connect, and no direct channel access — rooms are
 * joined through `join-room` only, so its validation cannot be bypassed with `channel().subscribe()`.
 */
export const chatOptions = {
  authenticate: (handshake) => ({ name: parseName(handshake.auth) }),
  authorize: () => false,
} satisfies RealtimeServerOptions<ChatUser>

/**
 * The chat: `join-room`, `send-message` and `typing` from clients; `user-joined`, `user-left`,
 * `user-away`, `user-back`, `user-typing` and `new-message` broadcast to the room. Each connection
 * is in one room at a time. Presence is per name: the same name in two tabs joins once and leaves
 * with its last tab. A name whose connections all dropped is shown away at once (the server keeps
 * their sessions for `recovery.windowMs`), back when one resumes, and left when the last session ends.
 */
export function attachChat(rt: RealtimeServer<ChatUser>, history = new RoomHistory<ChatMessage>()): void {
  const presence = new RoomPresence()
  /** Tells the others in `room` when the presence of `conn`'s name changed. */
  const update = (conn: Connection<ChatUser>, room: string, attached: boolean | undefined): void => {
    const { name } = conn.data
    for (const event of presence.set(room, name, conn.id, attached)) rt.to(room).except(conn.id).emit(event, { name })
  }
  // The server's membership events: `leave` also comes when a session ends, in each of its rooms.
  rt.on('join', (conn, room) => update(conn, room, conn.connected))
  rt.on('leave', (conn, room) => update(conn, room, undefined))
  // A dropped connection keeps its session, and its rooms, while it may come back.
  rt.on('detached', (conn) => {
    for (const room of conn.rooms) update(conn, room, false)
  })
  rt.on('resumed', (conn) => {
    for (const room of conn.rooms) update(conn, room, true)
  })

  rt.on('connection', (conn) => {
    const { name } = conn.data
    let room: string | undefined

    conn.on('join-room', async (data): Promise<JoinResult> => {
      const next = parseRoomId(data)
      if (next !== room) {
        if (room !== undefined) conn.leave(room)
        room = next
        conn.join(next)
      }
      // Each name once: here when one of its connections is attached, away when none is.
      const here = new Set<string>()
      const all = new Set<string>()
      for (const member of await rt.in(next).members()) {
        all.add(member.data.name)
        if (member.connected) here.add(member.data.name)
      }
      const members = [...all].sort()
      return { room: next, history: history.get(next), members, away: members.filter((member) => !here.has(member)) }
    })

    conn.on('send-message', (data): ChatMessage => {
      if (room === undefined) throw new RealtimeError(BAD_INPUT, 'Join a room first')
      const message: ChatMessage = { id: randomUUID(), name, text: parseText(data), at: Date.now() }
      history.add(room, message)
      rt.to(room).emit('new-message', message)
      return message
    })

    conn.on('typing', () => {
      if (room !== undefined) conn.to(room).emit('user-typing', { name })
    })
  })
}
