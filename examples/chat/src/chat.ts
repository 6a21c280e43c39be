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
 * `user-typing` and `new-message` broadcast to the room. Each connection is in one room at a time.
 */
export function attachChat(rt: RealtimeServer<ChatUser>, history = new RoomHistory<ChatMessage>()): void {
  rt.on('connection', (conn) => {
    const { name } = conn.data
    let room: string | undefined

    conn.on('join-room', (data): JoinResult => {
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
      return { room, history: history.get(room), members: membersOf(rt, room) }
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
}

/** Names of this node's connections in `room` (the library has no room-members API). */
function membersOf(rt: RealtimeServer<ChatUser>, room: string): string[] {
  return [...rt.connections.values()].filter((conn) => conn.rooms.has(room)).map((conn) => conn.data.name)
}
