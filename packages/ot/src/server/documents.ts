import { ErrorCode, RealtimeError, TokenBucket, isRealtimeError, type Logger } from '@org/realtime-core'
import type { Authorize, Connection, PluginServer, RealtimePlugin } from '@org/realtime-server'
import { jsonLongerThan } from '../shared/op-size.js'
import { textType } from '../shared/ot-text.js'
import {
  DOCUMENT_NAMESPACE,
  DocumentErrorCode,
  DocumentEvent,
  channelOf,
  parseCursor,
  parseOpen,
  parseSubmit,
  type OpenAnswer,
  type OpRecord,
  type RefusedMessage,
  type SubmitAnswer,
  type SubmitRequest,
} from '../shared/protocol.js'
import { ServerDocument, type DocumentHost, type DocumentLimits } from './document.js'
import { isThenable } from './maybe-promise.js'
import type { DocumentAction, DocumentsOptions } from './options.js'
import { loggerOf } from './stderr-logger.js'
import { memoryStorage, type DocumentStorage, type MaybePromise } from './storage.js'

/** The `documents()` plugin, with what it lets the app read. */
export interface Documents<TData = Record<string, any>> extends RealtimePlugin<TData> {
  /**
   * The text and revision of document `id`, loading it when no connection has it open.
   * @throws RealtimeError `NOT_FOUND` when `load` does not know it.
   */
  read(id: string): Promise<{ text: string; revision: number }>
  /** Documents loaded on this server (opened by at least one connection, or still saving). */
  readonly loaded: number
  /** Ops kept in memory for document `id`, or undefined when it is not loaded: bounded by `2 × snapshotEvery`. */
  keptOps(id: string): number | undefined
}

/** A connection's open documents, and its request budget. */
interface ConnectionState<TData> {
  readonly docs: Map<string, Promise<Access<TData>>>
  /** The documents of `docs` whose opening finished, so that a submit need not wait for it. */
  readonly opened: Map<string, Access<TData>>
  readonly bucket: TokenBucket
}

interface Access<TData> {
  readonly doc: ServerDocument<TData>
  write?: Promise<boolean>
  /** What `write` resolved to, once it did. */
  writable?: boolean
}

/**
 * Collaborative documents on the server: a plugin that claims the `doc:` channels and answers
 * the document events of `@org/realtime-ot/client` (`doc:open`, `doc:submit`, `doc:cursor`,
 * `doc:close`). Each document has a revision number and an op log; a submitted op is transformed
 * past the ops committed since its base, appended with compare-and-set, broadcast on `doc:<id>`
 * (so recovery brings it to clients that were away), and acknowledged with its revision. A
 * resent op (same client id and sequence number) is acknowledged and never applied twice.
 *
 * @example
 * const rt = new RealtimeServer({ plugins: [documents({ load: (id) => db.text(id), save: (id, text) => db.save(id, text) })] })
 */
export function documents<TData = Record<string, any>>(options: DocumentsOptions<TData>): Documents<TData> {
  const storage: DocumentStorage = options.storage ?? memoryStorage()
  const logger: Logger = loggerOf(options.logger)
  const limits: DocumentLimits = {
    snapshotEvery: options.snapshotEvery ?? 100,
    maxDocumentLength: options.maxDocumentLength ?? 1_048_576,
    maxQueuedSubmits: options.maxQueuedSubmits ?? 256,
    maxClientsPerDocument: options.maxClientsPerDocument ?? 1000,
    maxCatchUpOps: options.maxCatchUpOps ?? 1000,
    maxRetries: options.maxRetries ?? 8,
  }
  const maxOpSize = options.maxOpSize ?? 65_536
  const maxDocumentsPerConnection = options.maxDocumentsPerConnection ?? 20
  const requestsPerSecond = options.requestsPerSecond ?? 50
  const requestBurst = options.requestBurst ?? 100
  const loaded = new Map<string, ServerDocument<TData>>()
  const loading = new Map<string, Promise<ServerDocument<TData>>>()
  const connections = new WeakMap<Connection<TData>, ConnectionState<TData>>()
  let rt: PluginServer<TData> | undefined

  const host: DocumentHost = {
    storage,
    limits,
    broadcast(id, op) {
      rt?.to(channelOf(id)).emit(DocumentEvent.Op, op).catch(() => {
        // The server logs failed broadcasts; clients that miss the op catch up on the next one.
      })
    },
    async snapshotTaken(id, text, v) {
      try {
        await options.save?.(id, text, v)
      } catch (error) {
        logger.error(`save of document "${id}" failed`, { error, revision: v })
      }
    },
  }

  const allowed = async (conn: Connection<TData>, id: string, action: DocumentAction): Promise<boolean> => {
    const channel = channelOf(id)
    const app: Authorize<TData> = (c, ch, a) => rt?.authorize(c, ch, a) ?? false
    try {
      if (options.authorize !== undefined) return (await options.authorize(conn, id, action, app)) === true
      return (await app(conn, channel, action === 'read' ? 'subscribe' : 'publish')) === true
    } catch (error) {
      if (isRealtimeError(error)) throw error
      logger.error('documents authorize threw', { error, id, action })
      return false
    }
  }

  async function loadDocument(id: string): Promise<ServerDocument<TData>> {
    const present = loaded.get(id)
    if (present !== undefined) return present
    let pending = loading.get(id)
    if (pending === undefined) {
      pending = (async () => {
        let stored = await storage.read(id)
        if (stored === undefined) {
          const text = await options.load(id)
          if (typeof text !== 'string') throw new RealtimeError(DocumentErrorCode.NotFound, `No document "${id}"`)
          const snapshot = { v: 0, text, clients: {} }
          if (await storage.create(id, snapshot)) stored = { snapshot, ops: [] }
          else stored = await storage.read(id)
          if (stored === undefined) throw new RealtimeError(DocumentErrorCode.NotFound, `No document "${id}"`)
        }
        const doc = new ServerDocument<TData>(id, stored, host)
        loaded.set(id, doc)
        return doc
      })().finally(() => loading.delete(id))
      loading.set(id, pending)
    }
    return pending
  }

  function stateOf(conn: Connection<TData>): ConnectionState<TData> {
    let state = connections.get(conn)
    if (state === undefined) connections.set(conn, (state = { docs: new Map(), opened: new Map(), bucket: new TokenBucket(requestsPerSecond, requestBurst) }))
    return state
  }

  function charge(conn: Connection<TData>): void {
    const waitMs = stateOf(conn).bucket.take()
    if (waitMs > 0) throw new RealtimeError(ErrorCode.RateLimited, 'Too many document requests', { retryAfterMs: waitMs })
  }

  /** The connection's access to document `id`, opening it (read permission, per-connection limit) the first time. */
  function open(conn: Connection<TData>, id: string): Promise<Access<TData>> {
    const state = stateOf(conn)
    const present = state.docs.get(id)
    if (present !== undefined) return present
    if (state.docs.size >= maxDocumentsPerConnection) {
      return Promise.reject(new RealtimeError(ErrorCode.LimitExceeded, `A connection may have ${maxDocumentsPerConnection} documents open`))
    }
    const opening = (async (): Promise<Access<TData>> => {
      if (!(await allowed(conn, id, 'read'))) throw new RealtimeError(ErrorCode.Forbidden, `Not allowed to read document "${id}"`)
      for (;;) {
        const doc = await loadDocument(id)
        // Unloaded meanwhile: load it again.
        if (loaded.get(id) !== doc) continue
        doc.opened.add(conn)
        return { doc }
      }
    })()
    state.docs.set(id, opening)
    opening.then(
      (access) => {
        if (state.docs.get(id) === opening) state.opened.set(id, access)
      },
      () => {
        if (state.docs.get(id) === opening) state.docs.delete(id)
      },
    )
    return opening
  }

  function close(conn: Connection<TData>, id: string): void {
    const state = connections.get(conn)
    const opening = state?.docs.get(id)
    if (state === undefined || opening === undefined) return
    state.docs.delete(id)
    state.opened.delete(id)
    opening.then(
      ({ doc }) => {
        doc.opened.delete(conn)
        if (doc.cursors.delete(conn)) tellOthers(doc, conn, doc.cursorMessage(conn, null, undefined))
        unloadWhenUnused(doc)
      },
      () => {},
    )
  }

  function unloadWhenUnused(doc: ServerDocument<TData>): void {
    if (doc.opened.size > 0 || loaded.get(doc.id) !== doc) return
    if (!doc.idle) {
      void doc.settled().then(() => unloadWhenUnused(doc))
      return
    }
    loaded.delete(doc.id)
    doc.takeSnapshot().catch((error: unknown) => logger.error(`snapshot of document "${doc.id}" failed`, { error }))
  }

  function tellOthers(doc: ServerDocument<TData>, conn: Connection<TData>, message: unknown): void {
    for (const other of doc.opened) {
      if (other === conn) continue
      try {
        other.emit(DocumentEvent.Cursor, message)
      } catch (error) {
        logger.warn('cursor not sent', { error, document: doc.id })
      }
    }
  }

  /**
   * A submitted op: checked, then committed once the connection opened the document and may
   * write it. Once it did (every op but the first), nothing waits: with storage that answers at
   * once, the op is committed and broadcast in the turn it arrived in.
   * @throws RealtimeError (or rejects with it) when it is refused.
   */
  function submit(conn: Connection<TData>, data: unknown): MaybePromise<SubmitAnswer> {
    charge(conn)
    const request = parseSubmit(data)
    if (jsonLongerThan(request.op, maxOpSize)) throw new RealtimeError(ErrorCode.PayloadTooLarge, `An op may have ${maxOpSize} characters of JSON`)
    try {
      textType.checkOp(request.op)
    } catch (error) {
      throw isRealtimeError(error) ? error : new RealtimeError(ErrorCode.BadFrame, `Malformed op: ${(error as Error).message}`)
    }
    const access = stateOf(conn).opened.get(request.d)
    if (access?.writable !== true) return submitOnceAllowed(conn, request)
    const result = access.doc.submit(request, true)
    return isThenable(result) ? result.then((committed) => answer(conn, request, committed)) : answer(conn, request, result)
  }

  /** {@link submit} when the document is still to open, or write permission still to check. */
  async function submitOnceAllowed(conn: Connection<TData>, request: SubmitRequest): Promise<SubmitAnswer> {
    const access = await open(conn, request.d)
    access.write ??= allowed(conn, request.d, 'write').then((ok) => (access.writable = ok))
    if (!(await access.write)) throw new RealtimeError(ErrorCode.Forbidden, `Not allowed to write document "${request.d}"`)
    // Behind the submits that arrived while the document was opening, in order, within `maxQueuedSubmits`.
    return answer(conn, request, await access.doc.submit(request, false))
  }

  /** The answer to a submit: the revision its op made; `onCommit` told of a newly committed op. */
  function answer(conn: Connection<TData>, request: SubmitRequest, result: OpRecord | number): SubmitAnswer {
    if (typeof result === 'number') return { v: result }
    try {
      options.onCommit?.(request.d, result, conn)
    } catch (error) {
      logger.error('onCommit threw', { error, document: request.d })
    }
    return { v: result.v }
  }

  /** A `doc:send` refused: tells its connection, with the op's document, client id and sequence number. */
  function refuse(conn: Connection<TData>, data: unknown, error: unknown): void {
    if (!isRealtimeError(error)) logger.error('documents submit failed', { error })
    const failure = isRealtimeError(error) ? error : new RealtimeError(ErrorCode.Internal, 'Internal error')
    const { d, c, s } = (data !== null && typeof data === 'object' ? data : {}) as Record<string, unknown>
    const message: RefusedMessage = {
      ...(typeof d === 'string' ? { d } : {}),
      ...(typeof c === 'string' ? { c } : {}),
      ...(typeof s === 'number' ? { s } : {}),
      code: failure.code,
      message: failure.message,
      ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
    }
    try {
      conn.emit(DocumentEvent.Refused, message)
    } catch (emitError) {
      logger.warn('refusal not sent', { error: emitError })
    }
  }

  async function openDocument(conn: Connection<TData>, data: unknown): Promise<OpenAnswer> {
    charge(conn)
    const request = parseOpen(data)
    const { doc } = await open(conn, request.d)
    // Another server sharing the storage may have committed what this client saw.
    if (request.v !== undefined && request.v > doc.revision) await doc.refresh()
    // Submits of this client still queued (from a connection that dropped) are applied first, so
    // the answer says whether they were committed.
    await doc.settled()
    return doc.open(request.v, request.c, conn)
  }

  async function moveCursor(conn: Connection<TData>, data: unknown): Promise<void> {
    charge(conn)
    const request = parseCursor(data)
    const access = await connections.get(conn)?.docs.get(request.d)
    if (access === undefined) throw new RealtimeError(ErrorCode.Forbidden, `Open document "${request.d}" first`)
    const { doc } = access
    if (request.sel === null) {
      if (doc.cursors.delete(conn)) tellOthers(doc, conn, doc.cursorMessage(conn, null, undefined))
      return
    }
    const info = options.cursorInfo?.(conn)
    const sel = doc.moveCursor(conn, request.v, request.sel, info)
    if (sel !== undefined) tellOthers(doc, conn, doc.cursorMessage(conn, sel, info))
  }

  const plugin: Documents<TData> = {
    name: 'documents',
    namespaces: [DOCUMENT_NAMESPACE],
    async authorize(conn, channel, action) {
      // Ops travel through `doc:submit`: nobody publishes on a document's channel.
      if (action !== 'subscribe') return false
      return allowed(conn, channel.slice(DOCUMENT_NAMESPACE.length), 'read')
    },
    setup(server) {
      rt = server
    },
    onConnection(conn) {
      conn.on(DocumentEvent.Open, (data: unknown) => openDocument(conn, data))
      conn.on(DocumentEvent.Submit, (data: unknown) => submit(conn, data))
      conn.on(DocumentEvent.Send, (data: unknown) => {
        let result: MaybePromise<SubmitAnswer>
        try {
          result = submit(conn, data)
        } catch (error) {
          refuse(conn, data, error)
          return
        }
        if (isThenable(result)) result.catch((error: unknown) => refuse(conn, data, error))
      })
      conn.on(DocumentEvent.Cursor, (data: unknown) => moveCursor(conn, data))
      conn.on(DocumentEvent.Close, (data: unknown) => {
        const id = (data as { d?: unknown } | null)?.d
        if (typeof id === 'string') close(conn, id)
      })
    },
    onLeave(conn, room, reason) {
      if (reason === 'unsubscribe' && room.startsWith(DOCUMENT_NAMESPACE)) close(conn, room.slice(DOCUMENT_NAMESPACE.length))
    },
    onDisconnect(conn) {
      const state = connections.get(conn)
      if (state !== undefined) for (const id of [...state.docs.keys()]) close(conn, id)
    },
    async onClose() {
      await Promise.all(
        [...loaded.values()].map(async (doc) => {
          await doc.settled()
          await doc.takeSnapshot().catch((error: unknown) => logger.error(`snapshot of document "${doc.id}" failed`, { error }))
        }),
      )
    },
    async read(id) {
      const doc = await loadDocument(id)
      const result = { text: doc.text, revision: doc.revision }
      unloadWhenUnused(doc)
      return result
    },
    get loaded() {
      return loaded.size
    },
    keptOps(id) {
      return loaded.get(id)?.keptOps
    },
  }
  return plugin
}

