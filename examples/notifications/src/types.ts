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

/** The answer of `POST /notify`: the notification, and how many subscriptions were there to get it. */
export interface SentNotification {
  notification: Notification
  /**
   * Subscriptions to the user's channel when it was sent: one per open page, counting a page whose
   * connection dropped and whose session waits for it to come back. Notifications are not stored,
   * so with 0 nobody gets it.
   */
  listeners: number
}
