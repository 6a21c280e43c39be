/** Who a connection is: the name typed on the page (a demo: a real app verifies a token). */
export interface Person {
  userId: string
  name: string
}

/** What each tab shows of itself. */
export interface PersonMeta {
  name: string
  /** Seconds since the epoch when the tab opened. */
  since: number
}

/** The one channel of the page. */
export const LOBBY = 'lobby'
