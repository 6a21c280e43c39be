import type { RealtimeClient, RealtimeError } from '@org/realtime-client'
import { document, type ClientDocument, type DocumentOptions, type DocumentStatus, type RemoteCursor } from '@org/realtime-ot/client'
import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react'
import { useRealtimeContext } from './context.js'
import { Lease } from './lease.js'

/** A collaborative document as {@link useDocument} shows it; replaced on every change. */
export interface DocumentSnapshot {
  /** The local text, with this client's edits applied; empty until it arrived. */
  readonly text: string
  /** `opening` until the text arrived (and while rendering on the server), then as `ClientDocument.status`. */
  readonly status: DocumentStatus
  /** Whether edits reach the server now. */
  readonly online: boolean
  /** The other connections' cursors, by connection id. */
  readonly cursors: ReadonlyMap<string, RemoteCursor>
  /** Whether `undo` has an edit of this client to undo. */
  readonly canUndo: boolean
  /** Whether `redo` has an undone edit to redo. */
  readonly canRedo: boolean
  /** What the document could not retry: opening refused, or pending edits refused for good. */
  readonly error: RealtimeError | undefined
}

/** What {@link useDocument} returns: the document's state and its editing methods. */
export interface UseDocumentResult extends DocumentSnapshot {
  /** The document once the component mounted (undefined while rendering on the server and before). */
  readonly document: ClientDocument | undefined
  /** Inserts `text` at `position` (code points). Does nothing before the component mounted. */
  readonly insert: (position: number, text: string) => void
  /** Deletes `length` code points at `position`. */
  readonly delete: (position: number, length: number) => void
  /** Replaces `length` code points at `position` by `text`, as one edit. */
  readonly replace: (position: number, length: number, text: string) => void
  /** Undoes this client's latest edit; false with nothing to undo. */
  readonly undo: () => boolean
  /** Redoes the latest undone edit; false with nothing to redo. */
  readonly redo: () => boolean
  /** Sets this client's selection, shown to the others. */
  readonly select: (anchor: number, head?: number) => void
}

const NO_CURSORS: ReadonlyMap<string, RemoteCursor> = new Map()
const CLOSED_SNAPSHOT: DocumentSnapshot = Object.freeze({
  text: '',
  status: 'opening',
  online: false,
  cursors: NO_CURSORS,
  canUndo: false,
  canRedo: false,
  error: undefined,
})

/** One document of one client, opened while a component holds it and closed `delayMs` after the last let go. */
class DocumentStore {
  readonly #client: RealtimeClient
  readonly #id: string
  readonly #watchers = new Set<() => void>()
  readonly #lease = new Lease(
    () => this.#open(),
    () => this.#close(),
  )
  options: DocumentOptions | undefined
  doc: ClientDocument | undefined
  #snapshot: DocumentSnapshot = CLOSED_SNAPSHOT
  #error: RealtimeError | undefined

  constructor(client: RealtimeClient, id: string) {
    this.#client = client
    this.#id = id
  }

  snapshot(): DocumentSnapshot {
    return this.#snapshot
  }

  readonly subscribe = (onChange: () => void, delayMs: () => number): (() => void) => {
    this.#watchers.add(onChange)
    const release = this.#lease.acquire()
    return () => {
      this.#watchers.delete(onChange)
      release(delayMs())
    }
  }

  #open(): void {
    const doc = document(this.#client, this.#id, this.options)
    this.doc = doc
    this.#error = undefined
    doc.on('change', this.#refresh).on('status', this.#refresh).on('cursors', this.#refresh).on('error', this.#onError)
    this.#refresh()
  }

  #close(): void {
    const doc = this.doc
    this.doc = undefined
    doc?.off('change', this.#refresh).off('status', this.#refresh).off('cursors', this.#refresh).off('error', this.#onError)
    doc?.close()
    this.#snapshot = CLOSED_SNAPSHOT
    this.#notify()
  }

  readonly #onError = (error: RealtimeError): void => {
    this.#error = error
    this.#refresh()
  }

  readonly #refresh = (): void => {
    const doc = this.doc
    if (doc === undefined) return
    const opening = doc.status === 'opening'
    this.#snapshot = {
      text: opening ? '' : doc.text,
      status: doc.status,
      online: doc.online,
      cursors: new Map(doc.cursors),
      canUndo: doc.canUndo,
      canRedo: doc.canRedo,
      error: this.#error,
    }
    this.#notify()
  }

  #notify(): void {
    for (const onChange of [...this.#watchers]) onChange()
  }
}

const stores = new WeakMap<RealtimeClient, Map<string, DocumentStore>>()

function documentStore(client: RealtimeClient, id: string): DocumentStore {
  let byId = stores.get(client)
  if (byId === undefined) stores.set(client, (byId = new Map()))
  let store = byId.get(id)
  if (store === undefined) byId.set(id, (store = new DocumentStore(client, id)))
  return store
}

/**
 * The collaborative document `id` (served by the `documents()` plugin of `@org/realtime-ot/server`):
 * opened when the component mounts, its text, status, cursors and undo state re-rendered on every
 * change, and its editing methods. Components share one open document, closed `releaseDelayMs`
 * after the last unmounted; a new `id` closes the old one and opens the new. `options` apply when
 * the document is opened. Nothing opens while rendering on the server.
 * @throws RealtimeError `BAD_REQUEST` outside a `RealtimeProvider`.
 *
 * @example
 * const { text, status, replace, undo, canUndo } = useDocument('notes')
 * return <textarea value={text} disabled={status === 'opening'} onChange={(e) => replace(0, [...text].length, e.target.value)} />
 */
export function useDocument(id: string, options?: DocumentOptions): UseDocumentResult {
  const { client, releaseDelayMs } = useRealtimeContext('useDocument')
  const store = documentStore(client, id)
  const delay = useRef(releaseDelayMs)
  useEffect(() => {
    delay.current = releaseDelayMs
  })
  store.options ??= options
  const subscribe = useMemo(() => (onChange: () => void) => store.subscribe(onChange, () => delay.current), [store])
  const snapshot = useSyncExternalStore(subscribe, () => store.snapshot(), () => CLOSED_SNAPSHOT)
  const methods = useMemo(
    () => ({
      insert: (position: number, text: string): void => store.doc?.insert(position, text),
      delete: (position: number, length: number): void => store.doc?.delete(position, length),
      replace: (position: number, length: number, text: string): void => store.doc?.replace(position, length, text),
      undo: (): boolean => store.doc?.undo() ?? false,
      redo: (): boolean => store.doc?.redo() ?? false,
      select: (anchor: number, head?: number): void => store.doc?.select(anchor, head),
    }),
    [store],
  )
  return { ...snapshot, ...methods, document: store.doc }
}
