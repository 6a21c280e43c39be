import type { TextOp } from '../shared/ot-text.js'

/** A document's edits not yet confirmed by the server, as kept across a page reload. */
export interface PendingEdits {
  /** The client id the edits were sent under: it names the entry. */
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
 * Where documents keep their unconfirmed edits, so that they survive a reload or a closed tab.
 * Each open document owns the entry of its client id; several tabs of one document never write
 * the same entry. Entries no open document owns (their tab was reloaded, closed or crashed) are
 * handed to the next document that opens, one at a time, which resends them under their own
 * client id and sequence numbers, so the server applies each edit once.
 */
export interface PendingStore {
  /**
   * Takes over one entry of document `id` that no open document owns (the oldest first) and
   * returns it; undefined when there is none. From then on the caller owns it.
   */
  claim(id: string): PendingEdits | undefined
  /**
   * Keeps `edits` for document `id` under `edits.clientId`. Returns false when another tab has
   * taken the entry over meanwhile (this one was thought gone): it sends the edits now.
   */
  save(id: string, edits: PendingEdits): boolean
  /** Whether this store still owns the entry of `clientId` for document `id` (no other tab took it over). */
  owns(id: string, clientId: string): boolean
  /** Forgets the entry of `clientId` for document `id`: its edits are all confirmed. */
  clear(id: string, clientId: string): void
  /** Gives up the entry of `clientId` for document `id`, keeping it for the next document that opens. */
  release(id: string, clientId: string): void
}

/** The part of the Web Storage API (`localStorage`, `sessionStorage`) a {@link localStoragePending} store uses. */
export interface KeyValueStorage {
  readonly length: number
  key(index: number): string | null
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

/** Options of {@link localStoragePending}. */
export interface LocalStoragePendingOptions {
  /**
   * Milliseconds after its last renewal that an entry counts as left by a tab that is gone (crashed,
   * or killed without `pagehide`), so that another tab may take it over. An open tab renews its
   * entries every quarter of this; keep it well above a minute, the timer granularity browsers
   * give background tabs. A tab that closes or reloads gives its entries up at once.
   * @default 120000
   */
  leaseMs?: number
  /**
   * Milliseconds after which an entry nobody renewed is deleted, edits and all.
   * @default 604800000 (7 days)
   */
  maxAgeMs?: number
  /**
   * Most entries left per document: older ones past it are deleted, edits and all.
   * @default 16
   */
  maxEntries?: number
}

/** One entry as stored: the edits, the store that owns them, when it last wrote them, its lease, whether it gave them up. */
interface StoredEntry {
  readonly e: PendingEdits
  readonly o: string
  readonly t: number
  readonly l?: number
  readonly r?: 1
}

function isEdits(value: unknown): value is PendingEdits {
  const edits = value as PendingEdits | null
  return typeof edits?.clientId === 'string' && typeof edits.base === 'string' && Number.isSafeInteger(edits.v) && Number.isSafeInteger(edits.seq)
}

function randomOwner(): string {
  const bytes = new Uint8Array(9)
  globalThis.crypto.getRandomValues(bytes)
  return Array.from(bytes, (byte) => byte.toString(36).padStart(2, '0')).join('')
}

interface PageEvents {
  addEventListener?(type: 'pagehide', listener: (event: { persisted?: boolean }) => void): void
  removeEventListener?(type: 'pagehide', listener: (event: { persisted?: boolean }) => void): void
}

/**
 * A {@link PendingStore} in `localStorage` (or any Web Storage), one entry per document and client
 * id under `prefix + id + '#' + clientId`, so that the tabs of an origin never overwrite each
 * other's edits. Each entry names the tab that owns it, which renews it while it is open and gives
 * it up on `pagehide`; a reloaded tab, or the next tab to open the document after one was closed,
 * takes the entry over and resends its edits exactly once. A full storage (quota) loses the newest
 * save, never the page: the edits still reach the server while the page stays open.
 * @param storage default `globalThis.localStorage`
 * @param prefix default `'realtime-ot:'`
 */
export function localStoragePending(storage?: KeyValueStorage, prefix = 'realtime-ot:', options: LocalStoragePendingOptions = {}): PendingStore {
  const leaseMs = options.leaseMs ?? 120_000
  const maxAgeMs = options.maxAgeMs ?? 604_800_000
  const maxEntries = options.maxEntries ?? 16
  const owner = randomOwner()
  /** Entries this store owns: key → edits, renewed by the timer. */
  const owned = new Map<string, PendingEdits>()
  let renewTimer: ReturnType<typeof setInterval> | undefined
  const store = (): KeyValueStorage | undefined => storage ?? (globalThis as { localStorage?: KeyValueStorage }).localStorage
  const keyOf = (id: string, clientId: string): string => `${prefix}${id}#${clientId}`
  /** How this store's entries start: the owner is written first, so ownership is checked without parsing the edits. */
  const mine = `{"o":${JSON.stringify(owner)},`
  /** Whether the entry at `key` is this store's, or absent (undefined). */
  const ownedHere = (key: string): boolean | undefined => {
    const text = store()?.getItem(key)
    return text == null ? undefined : text.startsWith(mine)
  }

  const read = (key: string): StoredEntry | undefined => {
    try {
      const value = JSON.parse(store()?.getItem(key) ?? 'null') as StoredEntry | PendingEdits | null
      if (value !== null && 'e' in value && isEdits(value.e) && typeof value.o === 'string' && typeof value.t === 'number') return value
      // An entry of an earlier version (the edits alone, one per document): nobody owns it.
      if (isEdits(value)) return { e: value, o: '', t: Date.now(), r: 1 }
    } catch {
      // Not ours, or damaged: ignored.
    }
    return undefined
  }
  const write = (key: string, entry: StoredEntry): void => {
    try {
      store()?.setItem(key, JSON.stringify(entry))
    } catch {
      // Quota exceeded: the edits are still in memory and go to the server.
    }
  }
  const onPageHide = (event: { persisted?: boolean }): void => {
    // Kept in the back/forward cache, the page may come back: its lease lapses on its own.
    if (event.persisted === true) return
    for (const [key, edits] of owned) write(key, { o: owner, t: Date.now(), r: 1, e: edits })
  }
  const track = (key: string, edits: PendingEdits | undefined): void => {
    const page = globalThis as PageEvents
    if (edits === undefined) owned.delete(key)
    else owned.set(key, edits)
    if (owned.size > 0 && renewTimer === undefined) {
      renewTimer = setInterval(renew, leaseMs / 4)
      ;(renewTimer as { unref?(): void }).unref?.()
      page.addEventListener?.('pagehide', onPageHide)
    } else if (owned.size === 0 && renewTimer !== undefined) {
      clearInterval(renewTimer)
      renewTimer = undefined
      page.removeEventListener?.('pagehide', onPageHide)
    }
  }
  const renew = (): void => {
    for (const [key, edits] of owned) {
      if (ownedHere(key) === true) write(key, { o: owner, t: Date.now(), l: leaseMs, e: edits })
      else track(key, undefined)
    }
  }

  return {
    claim(id) {
      const storage = store()
      if (storage === undefined) return undefined
      const now = Date.now()
      const legacy = prefix + id
      const left: Array<{ key: string; entry: StoredEntry }> = []
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i)
        if (key === null || owned.has(key)) continue
        const ofDocument = key === legacy || (key.startsWith(`${legacy}#`) && !key.includes('#', legacy.length + 1))
        const entry = ofDocument ? read(key) : undefined
        // Owned by an open tab (renewed within the lease) or not; given up or lapsed: left.
        if (entry !== undefined && (entry.r === 1 || now - entry.t >= Math.min(entry.l ?? leaseMs, maxAgeMs))) left.push({ key, entry })
      }
      // Newest first: past `maxEntries`, or older than `maxAgeMs`, an entry is deleted.
      left.sort((a, b) => b.entry.t - a.entry.t)
      const kept = left.filter(({ key, entry }, index) => {
        const expired = index >= maxEntries || now - entry.t > maxAgeMs
        if (expired) storage.removeItem(key)
        return !expired
      })
      const oldest = kept.at(-1)
      if (oldest === undefined) return undefined
      const { e: edits } = oldest.entry
      const key = keyOf(id, edits.clientId)
      if (oldest.key !== key) storage.removeItem(oldest.key)
      write(key, { o: owner, t: now, l: leaseMs, e: edits })
      track(key, edits)
      return edits
    },
    save(id, edits) {
      const key = keyOf(id, edits.clientId)
      if (ownedHere(key) === false) {
        track(key, undefined)
        return false
      }
      write(key, { o: owner, t: Date.now(), l: leaseMs, e: edits })
      track(key, edits)
      return true
    },
    owns(id, clientId) {
      const key = keyOf(id, clientId)
      if (ownedHere(key) !== false) return true
      track(key, undefined)
      return false
    },
    clear(id, clientId) {
      const key = keyOf(id, clientId)
      if (ownedHere(key) === true) store()?.removeItem(key)
      track(key, undefined)
    },
    release(id, clientId) {
      const key = keyOf(id, clientId)
      const edits = owned.get(key)
      if (edits !== undefined && ownedHere(key) === true) write(key, { o: owner, t: Date.now(), r: 1, e: edits })
      track(key, undefined)
    },
  }
}
