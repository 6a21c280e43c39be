import type { PendingStore } from './pending-store.js'

/** Options of {@link document}. */
export interface DocumentOptions {
  /**
   * Milliseconds to wait for the server to confirm an op (its broadcast coming back) before
   * catching up with the document and sending it again (same client id and sequence number, so it
   * is applied once).
   * @default 10000
   */
  ackTimeoutMs?: number
  /**
   * Keeps unconfirmed edits across page reloads, e.g. `localStoragePending()`.
   * @default none: unconfirmed edits live as long as the page
   */
  pending?: PendingStore
  /**
   * Largest unconfirmed edit, as the length of its JSON: an edit that would make the pending
   * edits larger throws `LIMIT_EXCEEDED`. Keep it at most the server's `maxOpSize`.
   * @default 65536
   */
  maxPendingSize?: number
  /**
   * Most edits `undo` reaches back.
   * @default 200
   */
  undoLimit?: number
  /**
   * Milliseconds between two cursor updates sent to the server; the latest position wins.
   * @default 50
   */
  cursorThrottleMs?: number
}
