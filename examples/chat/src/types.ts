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

/** The acknowledgement of `join-room`. */
export interface JoinResult {
  room: string
  /** The room's latest messages, oldest first. */
  history: ChatMessage[]
  /** Names of the people in the room, each once (however many tabs), including the one who joined; sorted. */
  members: string[]
  /** Those of `members` whose every connection dropped: their sessions wait to be resumed. */
  away: string[]
}
