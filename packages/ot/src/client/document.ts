import { ErrorCode, RealtimeError, isRealtimeError } from '@org/realtime-core'
import type { Channel, FeatureContext, RealtimeClient } from '@org/realtime-client'
import { diffOp } from '../shared/diff.js'
import { jsonLongerThan } from '../shared/op-size.js'
import { replaceOp, snapshotOf, textOf, textType, type Snapshot, type TextOp } from '../shared/ot-text.js'
import {
  DocumentErrorCode,
  DocumentEvent,
  channelOf,
  type CursorMessage,
  type OpenAnswer,
  type OpRecord,
  type RefusedMessage,
} from '../shared/protocol.js'
import { Emitter } from './emitter.js'
import type { DocumentOptions } from './options.js'
import type { PendingEdits, PendingStore } from './pending-store.js'
import { RemoteCursors, type RemoteCursor } from './remote-cursors.js'
import { UndoStack } from './undo-stack.js'

/**
 * Where a document stands: `opening` until its text arrived, then `synchronized` (nothing
 * unconfirmed), `awaiting-confirm` (one op sent, not yet confirmed) or `awaiting-with-buffer`
 * (and edits made since, sent once it is confirmed); `closed` after `close()`.
 */
export type DocumentStatus = 'opening' | 'synchronized' | 'awaiting-confirm' | 'awaiting-with-buffer' | 'closed'

/** What changed the text. */
export type ChangeSource = 'local' | 'undo' | 'redo' | 'remote' | 'rebase'

/** Payload of the `change` event. */
export interface ChangeEvent {
  /** The op applied to the text, in code points. */
  readonly op: TextOp
  /** Who made it: this client (`local`, `undo`, `redo`), another (`remote`), or a reload from a snapshot (`rebase`). */
  readonly source: ChangeSource
}

/** Events of a {@link ClientDocument}. */
export interface DocumentEvents {
  /** The text changed. */
  change: (event: ChangeEvent) => void
  /** `status` or `online` changed. */
  status: (status: DocumentStatus) => void
  /** Another connection's cursor moved, came or went. */
  cursors: (cursors: ReadonlyMap<string, RemoteCursor>) => void
  /**
   * Something failed that the document cannot retry: opening was refused (`NOT_FOUND`,
   * `FORBIDDEN`, `LIMIT_EXCEEDED`), or the server refused the pending edits for good
   * (`FORBIDDEN` to write, `PAYLOAD_TOO_LARGE`): they were dropped and the text is the server's.
   */
  error: (error: RealtimeError) => void
}

/** Errors after which an op is sent again as it is. */
const TRANSIENT = new Set<string>([ErrorCode.Timeout, ErrorCode.Disconnected, ErrorCode.OutcomeUnknown, ErrorCode.RateLimited, ErrorCode.HandlerError, ErrorCode.Internal, ErrorCode.QueueFull])
/** Errors after which the pending edits are rebased on a fresh snapshot. */
const REBASE = new Set<string>([DocumentErrorCode.Pruned, DocumentErrorCode.Conflict, ErrorCode.InvalidOffset, ErrorCode.BadFrame])
/** Rebases in a row after which pending edits the server keeps refusing are dropped. */
const MAX_REBASES = 3
/** Out-of-order ops held before the document gives up on them and fetches. */
const MAX_HELD = 1000

let idCounter = 0

/** A random client id: 16 characters of letters and digits. */
function randomClientId(): string {
  const bytes = new Uint8Array(12)
  globalThis.crypto.getRandomValues(bytes)
  let id = ''
  for (const byte of bytes) id += byte.toString(36).padStart(2, '0').slice(-2)
  return `${id.slice(0, 16)}${(idCounter++ % 36).toString(36)}`
}

/**
 * A collaborative plain-text document, from {@link document}. Edit it with `insert`, `delete`,
 * `replace`; every edit applies at once locally and reaches the server in the background, one op
 * in flight at a time (edits made meanwhile are composed into a buffer, never with the op in
 * flight). Positions count Unicode code points.
 */
export class ClientDocument {
  /** The document id. */
  readonly id: string
  /** Resolves once the text arrived; rejects when opening was refused. */
  readonly ready: Promise<void>
  readonly #channel: Channel
  readonly #client: RealtimeClient
  readonly #events = new Emitter<DocumentEvents>()
  readonly #store: PendingStore | undefined
  readonly #ackTimeoutMs: number
  readonly #maxPendingSize: number
  readonly #cursorThrottleMs: number
  readonly #undo: UndoStack
  readonly #cursors = new RemoteCursors()
  #clientId: string
  /** Whether `#clientId` was taken over from a pending store entry another tab left. */
  #adopted = false
  /** Whether the pending store may still hold entries left by other tabs, taken over one at a time. */
  #adopting: boolean
  #seq = 0
  #revision: number | undefined
  /** The local text: the server's text at `#revision` (see `#serverText`), then `#inflight`, then `#buffer`. */
  #doc: Snapshot = snapshotOf('')
  #inflight: { op: TextOp; s: number } | undefined
  #buffer: TextOp | undefined
  #resend: ReturnType<typeof setTimeout> | undefined
  /** When the op in flight was last sent (0: not waiting for it); watched by `#ackTimer`. */
  #sentAt = 0
  #ackTimer: ReturnType<typeof setTimeout> | undefined
  #retryDelayMs = 0
  #rebases = 0
  /** Ops that arrived ahead of the revision, by revision. */
  readonly #held = new Map<number, OpRecord>()
  #syncing = false
  #syncAgain: 'ops' | 'snapshot' | undefined
  #syncRetry: ReturnType<typeof setTimeout> | undefined
  #status: DocumentStatus = 'opening'
  #selection: [number, number] | undefined
  #cursorTimer: ReturnType<typeof setTimeout> | undefined
  #cursorDirty = false
  #resolveReady!: () => void
  #rejectReady!: (error: RealtimeError) => void
  readonly #detach: Array<() => void> = []

  /** Made by {@link document}. */
  constructor(context: FeatureContext, id: string, options: DocumentOptions = {}) {
    this.id = id
    this.#channel = context.channel
    this.#client = context.client
    this.#store = options.pending
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 10_000
    this.#maxPendingSize = options.maxPendingSize ?? 65_536
    this.#cursorThrottleMs = options.cursorThrottleMs ?? 50
    this.#undo = new UndoStack(options.undoLimit ?? 200)
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve
      this.#rejectReady = reject
    })
    this.ready.catch(() => {})
    this.#adopting = this.#store !== undefined
    const restored = this.#store?.claim(id)
    this.#clientId = restored?.clientId ?? randomClientId()
    if (restored !== undefined) {
      this.#adopted = true
      this.#restore(restored)
    }
    this.#detach.push(context.claim(DocumentEvent.Op, (data) => this.#onOp(data as OpRecord)))
    const onCursor = (message: CursorMessage): void => {
      if (message?.d === this.id) this.#onCursor(message)
    }
    this.#client.on(DocumentEvent.Cursor, onCursor)
    this.#detach.push(() => this.#client.off(DocumentEvent.Cursor, onCursor))
    const onRefused = (message: RefusedMessage): void => {
      const inflight = this.#inflight
      if (message?.d !== this.id || message.c !== this.#clientId || inflight === undefined || message.s !== inflight.s) return
      this.#sentAt = 0
      clearTimeout(this.#resend)
      this.#refused(new RealtimeError(String(message.code) as ErrorCode, String(message.message), { retryAfterMs: message.retryAfterMs }))
    }
    this.#client.on(DocumentEvent.Refused, onRefused)
    this.#detach.push(() => this.#client.off(DocumentEvent.Refused, onRefused))
    const onSubscribed = (): void => {
      // Back online: say so even when nothing was pending (the status itself may not change).
      this.#events.emit('status', this.#status)
      this.#sync('ops')
    }
    this.#channel.lifecycle.on('subscribed', onSubscribed)
    this.#detach.push(() => this.#channel.lifecycle.off('subscribed', onSubscribed))
    const onDisconnect = (): void => this.#events.emit('status', this.#status)
    this.#client.lifecycle.on('disconnect', onDisconnect)
    this.#detach.push(() => this.#client.lifecycle.off('disconnect', onDisconnect))
    // After `client.disconnect()` and `connect()`, the channel is subscribed again.
    const onConnect = (): void => {
      if (this.#channel.state === 'unsubscribed') this.#subscribe()
    }
    this.#client.lifecycle.on('connect', onConnect)
    this.#detach.push(() => this.#client.lifecycle.off('connect', onConnect))
    this.#subscribe()
  }

  #subscribe(): void {
    this.#channel.subscribe().then(
      () => this.#sync('ops'),
      (error: RealtimeError) => {
        // The client was disconnected on purpose: `connect()` subscribes again.
        if (error.code !== ErrorCode.Closed) this.#fail(error)
      },
    )
  }

  /**
   * The client id this document's ops are sent under. With a `pending` store, a document that
   * took over the unconfirmed edits another tab left sends them under that tab's client id (so
   * the server applies them once), then continues under a fresh one.
   */
  get clientId(): string {
    return this.#clientId
  }

  /** The local text, with every edit of this client applied. */
  get text(): string {
    return textOf(this.#doc)
  }

  /** The server revision this client has caught up with; undefined until the text arrived. */
  get revision(): number | undefined {
    return this.#revision
  }

  /** Where the document stands. */
  get status(): DocumentStatus {
    return this.#status
  }

  /** Whether the document's channel is subscribed, so edits reach the server now. */
  get online(): boolean {
    return this.#channel.state === 'subscribed' && this.#client.connected
  }

  /** The other connections' cursors, by connection id, in the local text. */
  get cursors(): ReadonlyMap<string, RemoteCursor> {
    return this.#cursors.all
  }

  /** This client's selection as last set with `select`, moved by every edit since. */
  get selection(): readonly [number, number] | undefined {
    return this.#selection
  }

  /** Whether `undo` has an edit of this client to undo. */
  get canUndo(): boolean {
    return this.#undo.canUndo
  }

  /** Whether `redo` has an undone edit to redo. */
  get canRedo(): boolean {
    return this.#undo.canRedo
  }

  /** Calls `listener` on each `event`: `change`, `status`, `cursors`, `error`. */
  on<K extends keyof DocumentEvents>(event: K, listener: DocumentEvents[K]): this {
    this.#events.on(event, listener)
    return this
  }

  /** Removes `listener` of `event`, or all of them. */
  off<K extends keyof DocumentEvents>(event: K, listener?: DocumentEvents[K]): this {
    this.#events.off(event, listener)
    return this
  }

  /**
   * Inserts `text` at code point `position`.
   * @throws RealtimeError `INVALID_OFFSET` for a position outside the text, `BAD_FRAME` for text
   * with a lone surrogate, `LIMIT_EXCEEDED` past `maxPendingSize`, `CLOSED` after `close()`,
   * `NOT_FOUND` before the text arrived.
   */
  insert(position: number, text: string): void {
    this.replace(position, 0, text)
  }

  /** Deletes `length` code points at `position`. @throws RealtimeError as `insert` does. */
  delete(position: number, length: number): void {
    this.replace(position, length, '')
  }

  /** Replaces `length` code points at `position` by `text`, as one edit. @throws RealtimeError as `insert` does. */
  replace(position: number, length: number, text: string): void {
    const op = replaceOp(this.#doc, position, position + length, text)
    // Made by the type from the local text: in normal form already.
    if (op.length > 0) this.#local(op, 'local', true)
  }

  /**
   * Applies `op` (retain / insert / delete carrying the deleted text) as an edit of this client.
   * @throws RealtimeError as `insert` does; the type's error for an op that does not fit.
   */
  apply(op: TextOp): void {
    this.#local(op, 'local')
  }

  /** Undoes this client's latest edit (not the others'), wherever their edits moved it. Returns false with nothing to undo. */
  undo(): boolean {
    const op = this.#undo.undo()
    if (op === undefined) return false
    this.#local(op, 'undo', true)
    return true
  }

  /** Redoes the latest undone edit. Returns false with nothing to redo. */
  redo(): boolean {
    const op = this.#undo.redo()
    if (op === undefined) return false
    this.#local(op, 'redo', true)
    return true
  }

  /** Sets this client's selection (`head` defaults to `anchor`, a caret), shown to the others. */
  select(anchor: number, head = anchor): void {
    const length = this.#doc.length
    this.#selection = [clamp(anchor, length), clamp(head, length)]
    this.#cursorDirty = true
    this.#scheduleCursor()
  }

  /**
   * Stops following the document: leaves its channel and tells the server. Unconfirmed edits stay
   * in the `pending` store, when there is one, for the next document that opens it.
   */
  close(): void {
    if (this.#status === 'closed') return
    this.#setStatus('closed')
    clearTimeout(this.#resend)
    clearTimeout(this.#ackTimer)
    clearTimeout(this.#syncRetry)
    clearTimeout(this.#cursorTimer)
    for (const detach of this.#detach.splice(0)) detach()
    if (this.#inflight !== undefined) this.#store?.release(this.id, this.#clientId)
    if (this.#client.connected) this.#client.emit(DocumentEvent.Close, { d: this.id })
    this.#channel.unsubscribe()
    this.#rejectReady(new RealtimeError(ErrorCode.Closed, 'The document was closed'))
  }

  /**
   * An edit of this client. `normal`: `op` was made by the type (`replaceOp`, the undo stack), so
   * it is in normal form and only its size limits are checked again.
   */
  #local(op: TextOp, source: 'local' | 'undo' | 'redo', normal = false): void {
    if (this.#status === 'closed') throw new RealtimeError(ErrorCode.Closed, 'The document was closed')
    if (this.#revision === undefined) throw new RealtimeError(DocumentErrorCode.NotFound, 'The document has not arrived yet: await `ready`')
    textType.checkOp(op)
    if (!normal) op = textType.normalize(op)
    if (op.length === 0) return
    if (this.#inflight !== undefined && this.#store?.owns(this.id, this.#clientId) === false) {
      // Another tab took the pending edits over: this edit goes on the text without them.
      const dropped = this.#lostToAnotherTab()
      if (dropped.length > 0) op = textType.transform(op, dropped, 'left')
    }
    const doc = textType.apply(this.#doc, op)
    const pending = this.#buffer === undefined || this.#inflight === undefined ? op : textType.compose(this.#buffer, op)
    if (jsonLongerThan(pending, this.#maxPendingSize)) {
      throw new RealtimeError(ErrorCode.LimitExceeded, `Unconfirmed edits may have ${this.#maxPendingSize} characters of JSON`)
    }
    this.#doc = doc
    if (source === 'local') this.#undo.edited(op)
    if (this.#cursors.all.size > 0) this.#cursors.transform(op)
    if (this.#selection !== undefined) this.#selection = textType.transformSelection(this.#selection, op, true)
    if (this.#inflight === undefined) {
      this.#inflight = { op, s: ++this.#seq }
      this.#send()
    } else this.#buffer = pending
    this.#persist()
    this.#updateStatus()
    if (this.#events.has('change')) this.#events.emit('change', { op, source })
    if (this.#cursors.all.size > 0) this.#events.emit('cursors', this.#cursors.all)
  }

  /**
   * Sends the op in flight, when connected and caught up; otherwise the next sync sends it. It is
   * confirmed when it comes back on the document's channel; a refusal comes as `doc:refused`.
   * Unconfirmed after `ackTimeoutMs`, the document catches up (the op may have been committed and
   * its broadcast lost) and sends it again under the same sequence number.
   */
  #send(): void {
    const inflight = this.#inflight
    if (this.#resend !== undefined) {
      clearTimeout(this.#resend)
      this.#resend = undefined
    }
    if (inflight === undefined || this.#revision === undefined || this.#syncing || !this.online || this.#status === 'closed') return
    try {
      this.#client.emit(DocumentEvent.Send, { d: this.id, v: this.#revision, op: inflight.op, c: this.#clientId, s: inflight.s })
    } catch (error) {
      // Not sent (the offline queue is full): again after a pause.
      this.#refused(isRealtimeError(error) ? error : new RealtimeError(ErrorCode.Internal, String(error)))
      return
    }
    this.#sentAt = Date.now()
    this.#watchAck(this.#ackTimeoutMs)
  }

  /**
   * One timer per document, not one per op: when it fires, the op in flight is caught up and sent
   * again if it was sent `ackTimeoutMs` ago or more; otherwise it waits the rest of the time.
   */
  #watchAck(delayMs: number): void {
    if (this.#ackTimer !== undefined) return
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = undefined
      if (this.#inflight === undefined || this.#sentAt === 0 || this.#status === 'closed') return
      const waited = Date.now() - this.#sentAt
      if (waited < this.#ackTimeoutMs) return this.#watchAck(this.#ackTimeoutMs - waited)
      this.#sentAt = 0
      this.#sync('ops')
    }, delayMs)
  }

  /** The server did not confirm the op in flight. */
  #refused(error: RealtimeError): void {
    if (TRANSIENT.has(error.code)) {
      // Connected: again after a pause (an ack timeout, a busy server). Dropped: the sync after the reconnect sends it.
      if (!this.online) return
      const wait = error.retryAfterMs ?? this.#retryDelayMs
      this.#retryDelayMs = Math.min(5000, Math.max(50, this.#retryDelayMs * 2))
      this.#resend = setTimeout(() => this.#send(), wait)
      return
    }
    if (REBASE.has(error.code) && ++this.#rebases <= MAX_REBASES) {
      this.#sync('snapshot')
      return
    }
    // Refused for good (not allowed to write, too large, refused again and again): drop the pending edits.
    this.#rebases = 0
    this.#dropPending()
    this.#persist()
    this.#events.emit('error', error)
    this.#sync('snapshot')
  }

  /**
   * Catches up with the server: the ops since `#revision`, or (`snapshot`, or when they are no
   * longer kept) the text, on which pending edits are rebased. Then sends
   * the op in flight again, under the same sequence number.
   */
  #sync(mode: 'ops' | 'snapshot'): void {
    if (this.#status === 'closed') return
    if (this.#syncing) {
      if (this.#syncAgain !== 'snapshot') this.#syncAgain = mode
      return
    }
    if (!this.online) return
    this.#syncing = true
    clearTimeout(this.#syncRetry)
    const since = mode === 'ops' ? this.#revision : undefined
    const request = since === undefined ? { d: this.id, c: this.#clientId } : { d: this.id, v: since, c: this.#clientId }
    ;(this.#client.emitWithAck(DocumentEvent.Open, request, { timeoutMs: this.#ackTimeoutMs }) as Promise<OpenAnswer>).then(
      (answer) => {
        this.#syncing = false
        if (this.#status === 'closed') return
        this.#retryDelayMs = 0
        if (answer.ops !== undefined && this.#revision !== undefined) for (const op of answer.ops) this.#onOp(op)
        else if (typeof answer.text === 'string') this.#reload(answer.v, answer.text, answer.s ?? 0)
        for (const cursor of answer.cursors ?? []) this.#cursors.update(cursor, this.#revision, this.#pendingOps())
        this.#events.emit('cursors', this.#cursors.all)
        if (this.#revision !== undefined) {
          this.#updateStatus()
          this.#resolveReady()
        }
        const again = this.#syncAgain
        this.#syncAgain = undefined
        if (again !== undefined) return this.#sync(again)
        this.#send()
        this.#cursorDirty = this.#selection !== undefined
        this.#scheduleCursor()
      },
      (error: unknown) => {
        this.#syncing = false
        this.#syncAgain = undefined
        const failure = isRealtimeError(error) ? error : new RealtimeError(ErrorCode.Internal, String(error))
        if (TRANSIENT.has(failure.code)) {
          // Dropped: the next subscription syncs. Still connected: try again after a pause.
          if (!this.online) return
          const wait = failure.retryAfterMs ?? Math.max(50, this.#retryDelayMs)
          this.#retryDelayMs = Math.min(5000, Math.max(50, this.#retryDelayMs * 2))
          this.#syncRetry = setTimeout(() => this.#sync(mode), wait)
        } else if (failure.code === ErrorCode.InvalidOffset && mode === 'ops') this.#sync('snapshot')
        else this.#fail(failure)
      },
    )
  }

  /** Opening failed for good. */
  #fail(error: RealtimeError): void {
    if (this.#status === 'closed') return
    this.#rejectReady(error)
    this.#events.emit('error', error)
  }

  /** A committed op, from the channel or a catch-up: applied in revision order. */
  #onOp(record: OpRecord): void {
    if (this.#status === 'closed' || typeof record?.v !== 'number') return
    const revision = this.#revision
    if (revision !== undefined && record.v <= revision) return
    if (revision === undefined || record.v > revision + 1) {
      if (this.#held.size >= MAX_HELD) this.#held.clear()
      this.#held.set(record.v, record)
      // A gap: fetch what is missing (the ops may still be on their way; the fetch is idempotent).
      if (revision !== undefined) this.#sync('ops')
      return
    }
    this.#applyServerOp(record)
    for (let next = this.#held.get(record.v + 1); next !== undefined; next = this.#held.get((this.#revision ?? 0) + 1)) {
      this.#held.delete(next.v)
      this.#applyServerOp(next)
    }
    if (this.#held.size > 0) for (const v of this.#held.keys()) if (v <= (this.#revision ?? 0)) this.#held.delete(v)
  }

  /** Applies the server's next op: the confirmation of the op in flight, or another client's op. */
  #applyServerOp(record: OpRecord): void {
    this.#revision = record.v
    this.#cursors.received(record)
    const inflight = this.#inflight
    if (inflight !== undefined && record.c === this.#clientId && record.s === inflight.s) {
      this.#rebases = 0
      this.#retryDelayMs = 0
      this.#sentAt = 0
      this.#inflight = this.#buffer === undefined ? undefined : { op: this.#buffer, s: ++this.#seq }
      this.#buffer = undefined
      this.#send()
    } else {
      let op = record.op
      if (inflight !== undefined) {
        const transformed = textType.transform(inflight.op, op, 'left')
        op = textType.transform(op, inflight.op, 'right')
        inflight.op = transformed
      }
      if (this.#buffer !== undefined) {
        const transformed = textType.transform(this.#buffer, op, 'left')
        op = textType.transform(op, this.#buffer, 'right')
        this.#buffer = transformed
      }
      this.#doc = textType.apply(this.#doc, op)
      this.#remoteChange(op, 'remote')
    }
    if (this.#cursors.waiting && this.#cursors.reached(record.v, this.#pendingOps())) this.#events.emit('cursors', this.#cursors.all)
    this.#persist()
    this.#updateStatus()
  }

  /** Another client's op (or a reload) changed the local text by `op`. */
  #remoteChange(op: TextOp, source: 'remote' | 'rebase'): void {
    this.#undo.transform(op)
    if (this.#cursors.all.size > 0) this.#cursors.transform(op)
    if (this.#selection !== undefined) this.#selection = textType.transformSelection(this.#selection, op) as [number, number]
    if (this.#events.has('change')) this.#events.emit('change', { op, source })
    if (this.#cursors.all.size > 0) this.#events.emit('cursors', this.#cursors.all)
  }

  /**
   * The server's text at revision `v`, when the ops since this client's revision are no longer
   * kept (or it has none yet): pending edits are rebased on it through a diff of the texts
   * `committed` is the last sequence number of this client the server applied.
   */
  #reload(v: number, text: string, committed: number): void {
    let pendingBase = this.#serverText()
    let pending: TextOp | undefined
    const inflight = this.#inflight
    if (inflight !== undefined && committed >= inflight.s) {
      // Its effect is in `text` already: only the buffer is still to send.
      pendingBase = textType.apply(pendingBase, inflight.op)
      pending = this.#buffer
    } else pending = inflight === undefined ? this.#buffer : this.#buffer === undefined ? inflight.op : textType.compose(inflight.op, this.#buffer)
    const server = snapshotOf(text)
    const serverChange = diffOp(textOf(pendingBase), text)
    const rebased = pending === undefined ? [] : textType.transform(pending, serverChange, 'left')
    const doc = rebased.length === 0 ? server : textType.apply(server, rebased)
    const localChange = diffOp(this.text, textOf(doc))
    this.#sentAt = 0
    this.#seq = Math.max(this.#seq, committed)
    this.#doc = doc
    this.#revision = v
    this.#inflight = rebased.length === 0 ? undefined : { op: rebased, s: ++this.#seq }
    this.#buffer = undefined
    for (const held of this.#held.keys()) if (held <= v) this.#held.delete(held)
    this.#cursors.reset()
    if (localChange.length > 0) this.#remoteChange(localChange, 'rebase')
    this.#persist()
    this.#updateStatus()
  }

  /**
   * The server's text at `#revision`: the local text without the unconfirmed ops (deletes carry
   * their text, so they invert). Computed when needed, so that each op is applied once.
   */
  #serverText(): Snapshot {
    let text = this.#doc
    if (this.#buffer !== undefined) text = textType.apply(text, textType.invert(this.#buffer))
    if (this.#inflight !== undefined) text = textType.apply(text, textType.invert(this.#inflight.op))
    return text
  }

  /** The unconfirmed ops, oldest first: what turns the server's text into the local one. */
  #pendingOps(): TextOp[] {
    const ops: TextOp[] = []
    if (this.#inflight !== undefined) ops.push(this.#inflight.op)
    if (this.#buffer !== undefined) ops.push(this.#buffer)
    return ops
  }

  #onCursor(message: CursorMessage): void {
    if (this.#status === 'closed') return
    if (this.#cursors.update(message, this.#revision, this.#pendingOps())) this.#events.emit('cursors', this.#cursors.all)
  }

  #scheduleCursor(): void {
    if (this.#cursorTimer !== undefined || !this.#cursorDirty) return
    this.#cursorTimer = setTimeout(() => {
      this.#cursorTimer = undefined
      if (!this.#cursorDirty || !this.online || this.#revision === undefined || this.#selection === undefined || this.#syncing) return
      this.#cursorDirty = false
      // Back through the unconfirmed ops, to the server's revision.
      let sel: [number, number] = [...this.#selection]
      for (const op of this.#pendingOps().reverse()) sel = textType.transformSelection(sel, textType.invert(op)) as [number, number]
      try {
        this.#client.emit(DocumentEvent.Cursor, { d: this.id, v: this.#revision, sel })
      } catch {
        // Not sent while the offline queue is full: the next sync sends it.
      }
    }, this.#cursorThrottleMs)
  }

  #restore(edits: PendingEdits): void {
    this.#sentAt = 0
    this.#seq = edits.seq
    this.#revision = edits.v
    this.#inflight = edits.inflight === undefined ? undefined : { op: edits.inflight.op, s: edits.inflight.s }
    this.#buffer = edits.buffer
    let doc = snapshotOf(edits.base)
    for (const op of this.#pendingOps()) doc = textType.apply(doc, op)
    this.#doc = doc
  }

  #persist(): void {
    const store = this.#store
    if (store === undefined || this.#revision === undefined) return
    if (this.#inflight === undefined && this.#buffer === undefined) return store.clear(this.id, this.#clientId)
    const kept = store.save(this.id, {
      clientId: this.#clientId,
      seq: this.#seq,
      v: this.#revision,
      base: textOf(this.#serverText()),
      ...(this.#inflight === undefined ? {} : { inflight: this.#inflight }),
      ...(this.#buffer === undefined ? {} : { buffer: this.#buffer }),
    })
    if (!kept) this.#lostToAnotherTab()
  }

  /**
   * Another tab took this document's pending edits over (it thought this one gone: a background
   * tab whose lease lapsed) and sends them under the same client id and sequence numbers. This one
   * drops them and continues under a fresh client id from the server's text, where they arrive
   * once the other tab committed them. Returns the change that took them out of the text.
   */
  #lostToAnotherTab(): TextOp {
    this.#clientId = randomClientId()
    this.#seq = 0
    this.#adopted = false
    return this.#dropPending()
  }

  /** Takes the unconfirmed edits out of the local text and forgets them. Returns the change. */
  #dropPending(): TextOp {
    const server = this.#serverText()
    const change = diffOp(this.text, textOf(server))
    this.#doc = server
    this.#inflight = undefined
    this.#buffer = undefined
    this.#sentAt = 0
    clearTimeout(this.#resend)
    if (change.length > 0) this.#remoteChange(change, 'rebase')
    this.#updateStatus()
    return change
  }

  /**
   * Once synchronized, takes over the next entry of the pending store that another tab left (a
   * tab closed with unconfirmed edits): its state is restored and caught up like a reloaded
   * page's, so its op in flight is resent under its own client id and sequence number. With none
   * left, a document running under a taken-over client id continues under a fresh one.
   */
  #adoptNext(): void {
    const store = this.#store
    if (store === undefined || !this.#adopting || this.#status !== 'synchronized' || this.#syncing) return
    for (;;) {
      const edits = store.claim(this.id)
      if (edits === undefined) {
        this.#adopting = false
        if (this.#adopted) {
          this.#adopted = false
          this.#clientId = randomClientId()
          this.#seq = 0
        }
        return
      }
      if (edits.inflight === undefined && edits.buffer === undefined) {
        store.clear(this.id, edits.clientId)
        continue
      }
      const before = this.text
      this.#clientId = edits.clientId
      this.#adopted = true
      this.#restore(edits)
      this.#held.clear()
      this.#cursors.reset()
      const change = diffOp(before, this.text)
      this.#sync('ops')
      if (change.length > 0) this.#remoteChange(change, 'rebase')
      this.#updateStatus()
      return
    }
  }

  #updateStatus(): void {
    if (this.#status === 'closed' || this.#revision === undefined) return
    this.#setStatus(this.#inflight === undefined ? 'synchronized' : this.#buffer === undefined ? 'awaiting-confirm' : 'awaiting-with-buffer')
  }

  #setStatus(status: DocumentStatus): void {
    if (this.#status === status) return
    this.#status = status
    if (status === 'synchronized' && this.#adopting) queueMicrotask(() => this.#adoptNext())
    this.#events.emit('status', status)
  }
}

/** The feature key of documents on their channel: a holder, so that a closed document can be opened again. */
const kDocument = Symbol('document')

/**
 * The collaborative document `id` (on the channel `doc:<id>`, served by the `documents()` server
 * plugin): subscribes and fetches its text, and follows it until `close()`. The same object on
 * every call until it is closed; `options` apply when it is made.
 *
 * @example
 * const doc = document(client, 'notes', { pending: localStoragePending() })
 * await doc.ready
 * doc.on('change', () => render(doc.text))
 * doc.insert(0, 'Hello 👋')
 */
export function document(client: RealtimeClient, id: string, options?: DocumentOptions): ClientDocument {
  const holder = client.channel(channelOf(id)).feature(kDocument, (context) => ({ context, current: undefined as ClientDocument | undefined }))
  if (holder.current === undefined || holder.current.status === 'closed') holder.current = new ClientDocument(holder.context, id, options)
  return holder.current
}

function clamp(value: number, max: number): number {
  return Number.isFinite(value) ? Math.max(0, Math.min(Math.trunc(value), max)) : 0
}
