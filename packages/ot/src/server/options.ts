import type { Logger } from '@org/realtime-core'
import type { Authorize, Connection } from '@org/realtime-server'
import type { OpRecord } from '../shared/protocol.js'
import type { DocumentStorage, MaybePromise } from './storage.js'

/** What a client asks to do with a document: read it (open, see ops and cursors) or write it (submit ops). */
export type DocumentAction = 'read' | 'write'

/**
 * Decides whether `conn` may `action` document `id`. `app` is the server's `authorize`, to
 * compose with: by default, reading is allowed to whoever `app` lets subscribe to `doc:<id>`, and
 * writing to whoever it lets publish there.
 */
export type AuthorizeDocument<TData> = (
  conn: Connection<TData>,
  id: string,
  action: DocumentAction,
  app: Authorize<TData>,
) => boolean | Promise<boolean>

/** Options of {@link documents}. */
export interface DocumentsOptions<TData = Record<string, any>> {
  /**
   * The initial text of document `id`, the first time it is opened (when `storage` has nothing of
   * it); undefined when there is no such document: the client gets `NOT_FOUND`.
   */
  load(id: string): MaybePromise<string | undefined>
  /**
   * Called with the document's text at each snapshot (every `snapshotEvery` ops) and when the
   * last connection closes it, to keep it in the app's own database. A failure is logged.
   * @default nothing is saved outside `storage`
   */
  save?(id: string, text: string, revision: number): MaybePromise<void>
  /**
   * Where the op log and snapshots live.
   * @default memoryStorage(): in this process, lost on restart
   */
  storage?: DocumentStorage
  /**
   * Decides reading and writing documents; receives the app's `authorize` to compose with.
   * Asked once per connection and document, when the connection first reads or writes it.
   * @default reading: `app(conn, 'doc:<id>', 'subscribe')`; writing: `app(conn, 'doc:<id>', 'publish')`
   */
  authorize?: AuthorizeDocument<TData>
  /**
   * Ops between snapshots. At each snapshot the op log is pruned to the ops since the previous
   * one, so storage keeps at most `2 × snapshotEvery` ops per document.
   * @default 100
   */
  snapshotEvery?: number
  /**
   * Largest op accepted, as the length of its JSON. A larger one is refused with `PAYLOAD_TOO_LARGE`.
   * @default 65536
   */
  maxOpSize?: number
  /**
   * Longest document, in code points: an op that would make it longer is refused with `PAYLOAD_TOO_LARGE`.
   * @default 1048576
   */
  maxDocumentLength?: number
  /**
   * Documents one connection may have open at once; one more is refused with `LIMIT_EXCEEDED`.
   * @default 20
   */
  maxDocumentsPerConnection?: number
  /**
   * Document requests (open, submit, cursor) one connection may make per second, on average;
   * past it they are refused with `RATE_LIMITED` and its `retryAfterMs`.
   * @default 50
   */
  requestsPerSecond?: number
  /**
   * Document requests one connection may make in a burst.
   * @default 100
   */
  requestBurst?: number
  /**
   * Submits waiting for their turn on one document (they are applied one at a time); one more is
   * refused with `RATE_LIMITED`.
   * @default 256
   */
  maxQueuedSubmits?: number
  /**
   * Client ids whose last sequence number a document remembers, to apply a resent op once; the
   * least recently seen is forgotten first. A client forgotten with an op in flight gets its
   * resend refused as if its base had been pruned, and rebases.
   * @default 1000
   */
  maxClientsPerDocument?: number
  /**
   * Most ops an `open` catching up from a revision receives; further behind, it gets the snapshot.
   * @default 1000
   */
  maxCatchUpOps?: number
  /**
   * Times a submit is retried when another server sharing `storage` committed first; then it is
   * refused with `CONFLICT` and its client rebases.
   * @default 8
   */
  maxRetries?: number
  /**
   * What others see of a connection's cursor besides its position (a name, a colour); must be
   * JSON.
   * @default undefined
   */
  cursorInfo?(conn: Connection<TData>): unknown
  /** Observes every op committed on this server, after it was broadcast. What it throws is logged. */
  onCommit?(id: string, op: OpRecord, conn: Connection<TData>): void
  /**
   * Where failures of `save`, `storage` snapshots and `onCommit` go.
   * @default warnings and errors to standard error
   */
  logger?: Logger | false
}
