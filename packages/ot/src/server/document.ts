import { ErrorCode, RealtimeError } from '@org/realtime-core'
import type { Connection } from '@org/realtime-server'
import { snapshotOf, textOf, textType, type Snapshot, type TextOp } from '../shared/ot-text.js'
import { DocumentErrorCode, type CursorMessage, type OpenAnswer, type OpRecord, type SubmitRequest } from '../shared/protocol.js'
import { isThenable } from './maybe-promise.js'
import type { DocumentStorage, MaybePromise, SnapshotRecord, StoredDocument } from './storage.js'

/** The limits a document enforces, resolved from the options. */
export interface DocumentLimits {
  readonly snapshotEvery: number
  readonly maxDocumentLength: number
  readonly maxQueuedSubmits: number
  readonly maxClientsPerDocument: number
  readonly maxCatchUpOps: number
  readonly maxRetries: number
}

/** What a document tells the plugin. */
export interface DocumentHost {
  readonly storage: DocumentStorage
  readonly limits: DocumentLimits
  /** Broadcasts a committed op on the document's channel. */
  broadcast(id: string, op: OpRecord): void
  /** A snapshot was taken: the app's `save`. */
  snapshotTaken(id: string, text: string, v: number): Promise<void>
}

interface Cursor {
  sel: [number, number]
  info: unknown
}

/**
 * One document loaded on this server: its text at the latest revision, the ops kept since the
 * snapshot before last, the last sequence number of each client, and the cursors of the
 * connections that have it open. Submits are applied one at a time, in arrival order.
 */
export class ServerDocument<TData> {
  readonly id: string
  readonly #host: DocumentHost
  #snapshot: Snapshot
  #v: number
  /** Ops kept, oldest first, ending at `#v`. */
  #log: OpRecord[]
  /** Client id → [last sequence number, revision it made]; least recently used first. */
  readonly #clients: Map<string, readonly [number, number]>
  /** The client id `#clients` was last told of: its most recent entry. */
  #lastClient: string | undefined
  /** Revision of the latest snapshot. */
  #snapshotV: number
  readonly cursors = new Map<Connection<TData>, Cursor>()
  /** Connections that have the document open. */
  readonly opened = new Set<Connection<TData>>()
  #queue: Promise<unknown> = Promise.resolve()
  #queued = 0

  constructor(id: string, stored: StoredDocument, host: DocumentHost) {
    this.id = id
    this.#host = host
    this.#snapshot = snapshotOf('')
    this.#v = 0
    this.#log = []
    this.#clients = new Map()
    this.#snapshotV = 0
    this.#reset(stored)
  }

  /** The current revision. */
  get revision(): number {
    return this.#v
  }

  /** The current text. */
  get text(): string {
    return textOf(this.#snapshot)
  }

  /** Whether no submit is waiting or running. */
  get idle(): boolean {
    return this.#queued === 0
  }

  /** Rebuilds the state from storage: the snapshot, then every op after it. */
  #reset(stored: StoredDocument): void {
    const { snapshot, ops } = stored
    let doc = snapshotOf(snapshot.text)
    this.#clients.clear()
    this.#lastClient = undefined
    for (const [c, entry] of Object.entries(snapshot.clients)) this.#clients.set(c, entry)
    for (const record of ops) {
      if (record.v <= snapshot.v) continue
      doc = textType.apply(doc, record.op)
      this.#remember(record.c, record.s, record.v)
    }
    this.#snapshot = doc
    this.#log = [...ops]
    this.#v = ops.at(-1)?.v ?? snapshot.v
    if (this.#v < snapshot.v) this.#v = snapshot.v
    this.#snapshotV = snapshot.v
  }

  /** Reads the document again from storage, when another server may have committed. */
  async refresh(): Promise<void> {
    const stored = await this.#host.storage.read(this.id)
    if (stored !== undefined) this.#reset(stored)
  }

  #remember(c: string, s: number, v: number): void {
    // The same client as last time (one editor typing): already the most recent, updated in place.
    if (this.#lastClient !== c) {
      this.#clients.delete(c)
      this.#lastClient = c
    }
    this.#clients.set(c, [s, v])
    if (this.#clients.size > this.#host.limits.maxClientsPerDocument) this.#clients.delete(this.#clients.keys().next().value as string)
  }

  /** The ops after revision `v`, or undefined when some of them are no longer kept. */
  opsSince(v: number): OpRecord[] | undefined {
    if (v === this.#v) return []
    const first = this.#log[0]
    if (first === undefined || first.v > v + 1) return undefined
    return this.#log.slice(v + 1 - first.v)
  }

  /** The answer to `open`: the ops since `since` when kept (and not too many), else the text. */
  open(since: number | undefined, clientId: string | undefined, self: Connection<TData>): OpenAnswer {
    const cursors = this.#cursorsFor(self)
    if (since !== undefined) {
      if (since > this.#v) throw new RealtimeError(ErrorCode.InvalidOffset, `Revision ${since} is ahead of the document (${this.#v})`)
      const ops = this.opsSince(since)
      if (ops !== undefined && ops.length <= this.#host.limits.maxCatchUpOps) return { v: this.#v, ops, cursors }
    }
    const s = clientId === undefined ? 0 : (this.#clients.get(clientId)?.[0] ?? 0)
    return { v: this.#v, text: this.text, s, cursors }
  }

  #cursorsFor(self: Connection<TData>): CursorMessage[] {
    const cursors: CursorMessage[] = []
    for (const [conn, cursor] of this.cursors) if (conn !== self) cursors.push(this.cursorMessage(conn, cursor.sel, cursor.info))
    return cursors
  }

  /** The message telling others where `conn`'s cursor is. */
  cursorMessage(conn: Connection<TData>, sel: readonly [number, number] | null, info: unknown): CursorMessage {
    return info === undefined ? { d: this.id, v: this.#v, id: conn.id, sel } : { d: this.id, v: this.#v, id: conn.id, sel, info }
  }

  /**
   * Moves `conn`'s cursor to `sel` at revision `v`, brought to the current revision. Returns the
   * cursor now, or undefined when the ops since `v` are no longer kept.
   */
  moveCursor(conn: Connection<TData>, v: number, sel: [number, number], info: unknown): [number, number] | undefined {
    if (v > this.#v) throw new RealtimeError(ErrorCode.InvalidOffset, `Revision ${v} is ahead of the document (${this.#v})`)
    const ops = this.opsSince(v)
    if (ops === undefined) return undefined
    let moved = sel
    for (const record of ops) moved = textType.transformSelection(moved, record.op) as [number, number]
    const length = this.#snapshot.length
    moved = [Math.min(moved[0], length), Math.min(moved[1], length)]
    this.cursors.set(conn, { sel: moved, info })
    return moved
  }

  /**
   * Applies `request` once its turn comes: transformed past the ops committed since its base,
   * then appended with compare-and-set. A resent op (same client id, sequence number not above
   * the last committed) is answered with the revision it made and not applied again.
   *
   * `immediate`, with no submit waiting or running: applied at once, and answered in this turn
   * when storage answers in its turn (the memory storage does). Otherwise it waits for the
   * others (at most `maxQueuedSubmits` wait) and is answered with a promise.
   * @throws RealtimeError (or rejects with it) when it is refused.
   */
  submit(request: SubmitRequest, immediate: boolean): MaybePromise<OpRecord | number> {
    if (this.#queued >= this.#host.limits.maxQueuedSubmits) {
      throw new RealtimeError(ErrorCode.RateLimited, `Too many submits waiting on document "${this.id}"`, { retryAfterMs: 100 })
    }
    this.#queued++
    let result: MaybePromise<OpRecord | number>
    if (immediate && this.#queued === 1) {
      // Nothing waiting or running (the last submit's snapshot included): its turn is now.
      try {
        result = this.#apply(request, 0)
      } catch (error) {
        this.#queued--
        throw error
      }
      if (!isThenable(result)) {
        this.#finished()
        return result
      }
    } else {
      result = this.#queue.then(() => this.#apply(request, 0))
    }
    this.#queue = result.then(
      () => this.#snapshotIfDue(),
      () => undefined,
    ).finally(() => this.#queued--)
    return result
  }

  /** A submit applied in its turn: the next one may start, after the snapshot when one is due. */
  #finished(): void {
    if (this.#v - this.#snapshotV < this.#host.limits.snapshotEvery) {
      this.#queued--
      return
    }
    this.#queue = this.#snapshotIfDue().finally(() => this.#queued--)
  }

  /** One attempt at committing `request`; the next ones (after a refresh) follow its promise. */
  #apply(request: SubmitRequest, attempt: number): MaybePromise<OpRecord | number> {
    const known = this.#clients.get(request.c)
    if (known !== undefined && request.s <= known[0]) return known[1]
    if (request.v > this.#v) {
      // Another server may have committed what this client saw.
      return this.refresh().then(() => {
        if (request.v > this.#v) throw new RealtimeError(ErrorCode.InvalidOffset, `Revision ${request.v} is ahead of the document (${this.#v})`)
        return this.#apply(request, attempt + 1)
      })
    }
    let op: TextOp = request.op
    // Made on the latest revision (one editor typing): nothing to transform it past.
    if (request.v < this.#v) {
      const ops = this.opsSince(request.v)
      // Committed after its base, so in the ops since, even when its client id was forgotten.
      const committed = ops?.find((other) => other.c === request.c && other.s >= request.s)
      if (committed !== undefined) return committed.v
      if (ops === undefined) {
        throw new RealtimeError(DocumentErrorCode.Pruned, `Revision ${request.v} is older than the history kept: fetch the document again and rebase`)
      }
      for (const other of ops) op = textType.transform(op, other.op, 'left')
    }
    let snapshot: Snapshot
    try {
      snapshot = textType.apply(this.#snapshot, op)
    } catch (error) {
      throw new RealtimeError(DocumentErrorCode.Conflict, `The op does not fit revision ${request.v}: ${(error as Error).message}`)
    }
    if (snapshot.length > this.#host.limits.maxDocumentLength) {
      throw new RealtimeError(ErrorCode.PayloadTooLarge, `The document would exceed ${this.#host.limits.maxDocumentLength} code points`)
    }
    const record: OpRecord = { v: this.#v + 1, op, c: request.c, s: request.s }
    const appended = this.#host.storage.append(this.id, record)
    if (isThenable(appended)) return appended.then((ok) => this.#appended(ok, request, attempt, record, snapshot))
    return this.#appended(appended, request, attempt, record, snapshot)
  }

  /** Storage answered the compare-and-set of `record`: committed, or another server's op took its revision. */
  #appended(ok: boolean, request: SubmitRequest, attempt: number, record: OpRecord, snapshot: Snapshot): MaybePromise<OpRecord | number> {
    if (!ok) {
      if (attempt >= this.#host.limits.maxRetries) throw new RealtimeError(DocumentErrorCode.Conflict, 'Other servers kept committing first: fetch the document again and rebase')
      return this.refresh().then(() => this.#apply(request, attempt + 1))
    }
    this.#commit(record, snapshot)
    return record
  }

  #commit(record: OpRecord, snapshot: Snapshot): void {
    this.#snapshot = snapshot
    this.#v = record.v
    this.#log.push(record)
    this.#remember(record.c, record.s, record.v)
    if (this.cursors.size > 0) for (const cursor of this.cursors.values()) cursor.sel = textType.transformSelection(cursor.sel, record.op) as [number, number]
    this.#host.broadcast(this.id, record)
  }

  async #snapshotIfDue(): Promise<void> {
    if (this.#v - this.#snapshotV >= this.#host.limits.snapshotEvery) await this.takeSnapshot()
  }

  /** Saves the current text as a snapshot and prunes the op log behind the previous one. */
  async takeSnapshot(): Promise<void> {
    if (this.#v === this.#snapshotV) return
    const record: SnapshotRecord = { v: this.#v, text: this.text, clients: Object.fromEntries(this.#clients) }
    const pruneThrough = this.#snapshotV
    await this.#host.storage.saveSnapshot(this.id, record, pruneThrough)
    this.#snapshotV = record.v
    const keepFrom = this.#log.findIndex((op) => op.v > pruneThrough)
    this.#log = keepFrom === -1 ? [] : this.#log.slice(keepFrom)
    await this.#host.snapshotTaken(this.id, record.text, record.v)
  }

  /** Waits for the submits queued so far (and their snapshots). */
  settled(): Promise<unknown> {
    return this.#queue
  }

  /** Ops kept in memory, for tests and measurements. */
  get keptOps(): number {
    return this.#log.length
  }
}
