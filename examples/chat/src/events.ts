import type { ChatMessage, RoomState } from './types.js'

/**
 * The events a chat client sends, each with the server's answer to `emitWithAck`:
 * `new RealtimeClient<DefaultEvents, ChatClientEvents>(url)` types `emit` and `emitWithAck` by it.
 * Each names the room: a connection is in the rooms whose channels it subscribed to.
 */
export interface ChatClientEvents {
  'room-state': (data: { roomId: string }) => RoomState
  'send-message': (data: { roomId: string; text: string }) => ChatMessage
  typing: (data: { roomId: string }) => void
}

/** The messages broadcast to a chat room, heard on its channel: `client.channel<ChatRoomEvents>(room)`. */
export interface ChatRoomEvents {
  'new-message': (message: ChatMessage) => void
  'user-joined': (user: { name: string }) => void
  'user-left': (user: { name: string }) => void
  'user-away': (user: { name: string }) => void
  'user-back': (user: { name: string }) => void
  'user-typing': (user: { name: string }) => void
}
