import type { TextOp } from '../shared/ot-text.js'

/** A document's edits not yet confirmed by the server, as kept across a page reload. */
export interface PendingEdits {
  /** The client id the edits were sent under. */
  readonly clientId: string
  /** The last sequence number used. */
  readonly seq: number
  /** The server revision `base` is at. */
  readonly v: number
  /** The server's text at `v`. */
  readonly base: string
  /** The op sent and not yet confirmed, with its sequence number: resent as is. */
  readonly inflight?: { readonly op: TextOp; readonly s: number }
  /** Edits made after it, not yet sent. */
  readonly buffer?: TextOp
}

/**
 * Where a document keeps its unconfirmed edits, so that they survive a reload: saved after each
 * change while edits are pending, cleared once the server confirmed them all.
 */
export interface PendingStore {
  /** The edits kept for document `id`. */
  load(id: string): PendingEdits | undefined
  /** Keeps `edits` for document `id`. */
  save(id: string, edits: PendingEdits): void
  /** Forgets the edits of document `id`. */
  clear(id: string): void
}

/** The part of the Web Storage API (`localStorage`) a {@link localStoragePending} store uses. */
export interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

/**
 * A {@link PendingStore} in `localStorage` (or any Web Storage), under `prefix + id`. A full
 * storage (quota) loses the newest save, never the page: the edits still reach the server while
 * the page stays open.
 * @param storage default `globalThis.localStorage`
 * @param prefix default `'realtime-ot:'`
 */
export function localStoragePending(storage?: KeyValueStorage, prefix = 'realtime-ot:'): PendingStore {
  const store = (): KeyValueStorage | undefined => storage ?? (globalThis as { localStorage?: KeyValueStorage }).localStorage
  return {
    load(id) {
      const text = store()?.getItem(prefix + id)
      if (text == null) return undefined
      try {
        const edits = JSON.parse(text) as PendingEdits
        return typeof edits?.clientId === 'string' && typeof edits.base === 'string' && Number.isSafeInteger(edits.v) ? edits : undefined
      } catch {
        return undefined
      }
    },
    save(id, edits) {
      try {
        store()?.setItem(prefix + id, JSON.stringify(edits))
      } catch {
        // Quota exceeded: the edits are still in memory and go to the server.
      }
    },
    clear(id) {
      store()?.removeItem(prefix + id)
    },
  }
}
