import { randomUUID } from 'node:crypto'
import { RealtimeError, type RealtimeServer, type RealtimeServerOptions } from '@org/realtime-server'
import { RoomHistory } from './history.js'
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
 * is in one room at a time. A user whose connection drops is shown away at once (the server keeps
 * their session for `recovery.windowMs`), back when it resumes, and left when the session ends.
 */
export function attachChat(rt: RealtimeServer<ChatUser>, history = new RoomHistory<ChatMessage>()): void {
  rt.on('connection', (conn) => {
    const { name } = conn.data
    let room: string | undefined

    conn.on('join-room', async (data): Promise<JoinResult> => {
      const next = parseRoomId(data)
      if (next !== room) {
        if (room !== undefined) {
          conn.leave(room)
          conn.to(room).emit('user-left', { name })
        }
        room = next
        conn.join(room)
        conn.to(room).emit('user-joined', { name })
      }
      const members = await rt.in(room).members()
      return { room, history: history.get(room), members: members.map((member) => member.data.name) }
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

    conn.on('disconnect', () => {
      if (room !== undefined) rt.to(room).emit('user-left', { name })
    })
  })
  // A dropped connection keeps its session, and its room, while it may come back.
  rt.on('detached', (conn) => {
    for (const room of conn.rooms) rt.to(room).except(conn.id).emit('user-away', { name: conn.data.name })
  })
  rt.on('resumed', (conn) => {
    for (const room of conn.rooms) rt.to(room).except(conn.id).emit('user-back', { name: conn.data.name })
  })
}
