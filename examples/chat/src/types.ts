/** What the chat keeps on each connection (`conn.data`), set by `authenticate`. */
export interface ChatUser {
  name: string
}

/** A stored chat message, as broadcast in `new-message` and returned by `send-message`. */
export interface ChatMessage {
  id: string
  name: string
  text: string
  /** Milliseconds since the epoch, server time. */
  at: number
}

/** The answer of `room-state`: what a page shows of a room it just subscribed to. */
export interface RoomState {
  room: string
  /** The room's latest messages, oldest first. */
  history: ChatMessage[]
  /** Names of the people in the room, each once (however many tabs), including the one asking; sorted. */
  members: string[]
  /** Those of `members` whose every connection dropped: their sessions wait to be resumed. */
  away: string[]
}
