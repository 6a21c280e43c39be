/** What the server keeps on each connection (`conn.data`), set by `authenticate`. */
export interface FeedUser {
  user: string
}

/** A notification, as pushed in the `notification` event and returned by `POST /notify`. */
export interface Notification {
  id: string
  text: string
  /** Milliseconds since the epoch, server time. */
  at: number
}
