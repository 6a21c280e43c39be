import type { ChatMessage, JoinResult } from './types.js'

/**
 * The events a chat client sends, each with the server's answer to `emitWithAck`:
 * `new RealtimeClient<DefaultEvents, ChatClientEvents>(url)` types `emit` and `emitWithAck` by it.
 */
export interface ChatClientEvents {
  'join-room': (data: { roomId: string }) => JoinResult
  'send-message': (data: { text: string }) => ChatMessage
  typing: () => void
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
