import { encodeData } from '@org/realtime-core'
import type { Connection, PluginServer } from '@org/realtime-server'
import type { Pgoutput } from 'pg-logical-replication'
import { changePayload, normalizeRow, projectPayload, type ChangePayload, type ChangeType } from '../payload.js'
import type { Catalog } from './catalog.js'
import type { ChangeLog } from './change-log.js'
import type { DbHistory } from './db-history.js'
import { lsnValue } from './lsn.js'
import type { TableRooms } from './rooms.js'

type RowChange = Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete

/** What the applier needs from the plugin. */
export interface ApplierContext {
  readonly rt: () => PluginServer<any> | undefined
  readonly log: ChangeLog
  readonly history: DbHistory
  readonly rooms: TableRooms
  readonly catalog: Catalog
  readonly logSchema: string
  readonly maxRowBytes: number
  readonly filterRow: ((conn: Connection<any>, row: Record<string, unknown>, change: ChangePayload) => boolean) | undefined
  readonly identity: (conn: Connection<any>) => string
  /** The commit up to `lsn` is in the log. */
  readonly durable: (lsn: string) => void
  readonly warn: (message: string, context: Record<string, unknown>) => void
  /** Logging failed: the stream must restart from the last acknowledged position. */
  readonly fail: (error: unknown) => void
}

const TYPES: Record<RowChange['tag'], ChangeType> = { insert: 'INSERT', update: 'UPDATE', delete: 'DELETE' }

/** A transaction waiting to be logged. */
interface Queued {
  readonly changes: PreparedChange[]
  readonly commitLsn: string
  readonly end: string
}

interface PreparedChange {
  readonly id: number
  readonly table: string
  readonly event: string
  readonly json: string
  readonly payload: ChangePayload
  readonly full: ChangePayload
  readonly at: number
}

/** Most changes logged in one transaction of the change log. */
const MAX_BATCH = 5000
/** Past this many changes waiting to be logged, the stream waits (backpressure). */
const MAX_QUEUED = 20_000

/**
 * Applies the replication stream: collects each transaction's row changes, logs them in the
 * change log (their ids are their offsets; the transactions that arrive while one batch is being
 * written go in the next, so commits are grouped), declares the commits durable, then broadcasts
 * each change to the `db:` rooms of its table whose filter it matches, in commit order.
 */
export class Applier {
  readonly #context: ApplierContext
  #changes: RowChange[] | undefined
  /** Transactions at or before this commit LSN were logged before the stream (re)started. */
  #skipThrough = 0n
  /** Id of the last change given out. */
  #nextId = 0
  #queue: Queued[] = []
  #queuedChanges = 0
  #flushing: Promise<void> | undefined
  #failure: unknown

  constructor(context: ApplierContext) {
    this.#context = context
  }

  /** Id of the last change logged or being logged. */
  get lastId(): number {
    return this.#nextId
  }

  /** Whether nothing received is still waiting to be logged or broadcast. */
  get idle(): boolean {
    return this.#flushing === undefined && this.#queue.length === 0 && this.#changes === undefined
  }

  /** The log was (re)opened: continue from its state, after what was still being written. */
  async reset(lastLsn: string, lastId: number): Promise<void> {
    await this.#flushing
    this.#skipThrough = lsnValue(lastLsn)
    this.#nextId = lastId
    this.#changes = undefined
    this.#queue = []
    this.#queuedChanges = 0
    this.#failure = undefined
  }

  /** Settles once everything received was logged and broadcast. */
  async drain(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing
  }

  async message(message: Pgoutput.Message): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure
    switch (message.tag) {
      case 'begin':
        this.#changes = []
        return
      case 'relation':
        if (message.schema !== this.#context.logSchema && this.#context.catalog.get(`${message.schema}.${message.name}`) !== undefined) await this.#context.catalog.load()
        return
      case 'insert':
      case 'update':
      case 'delete':
        if (message.relation.schema !== this.#context.logSchema) this.#changes?.push(message)
        return
      case 'commit':
        this.#commit(message)
        if (this.#queuedChanges > MAX_QUEUED) await this.#flushing
        return
      default:
        return
    }
  }

  #commit(commit: Pgoutput.MessageCommit): void {
    const changes = this.#changes ?? []
    this.#changes = undefined
    const end = commit.commitEndLsn ?? commit.commitLsn ?? '0/0'
    // Logged before a restart, acknowledged or not: its clients recover it from the log.
    const logged = lsnValue(commit.commitLsn) <= this.#skipThrough
    const at = Number((commit.commitTime as bigint) / 1000n)
    const prepared = logged ? [] : changes.map((change) => this.#prepare(change, at))
    this.#queue.push({ changes: prepared, commitLsn: commit.commitLsn ?? end, end })
    this.#queuedChanges += prepared.length
    this.#flushing ??= this.#flush().finally(() => {
      this.#flushing = undefined
    })
  }

  #prepare(change: RowChange, at: number): PreparedChange {
    const commitTimestamp = new Date(at).toISOString()
    const relation = change.relation
    const columns = relation.columns.map((column) => ({ name: column.name, typeOid: column.typeOid }))
    const type = TYPES[change.tag]
    const newRow = change.tag === 'delete' ? undefined : normalizeRow(change.new, columns)
    const oldRow = change.tag === 'insert' ? undefined : normalizeRow(change.old ?? change.key, columns)
    const full: ChangePayload = { type, schema: relation.schema, table: relation.name, commitTimestamp, ...(newRow && { new: newRow }), ...(oldRow && { old: oldRow }) }
    const { payload, json } = changePayload(full, relation.keyColumns, this.#context.maxRowBytes)
    const table = `${relation.schema}.${relation.name}`
    if (payload.tooLarge === true) this.#context.warn('database change too large: sent as a tooLarge marker', { table, bytes: JSON.stringify(full).length })
    return { id: ++this.#nextId, table, event: type, json, payload, full, at }
  }

  /** Logs the queued transactions in batches, then acknowledges and broadcasts them, until none is left. */
  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        let count = 0
        let take = 0
        while (take < this.#queue.length && (take === 0 || count + (this.#queue[take] as Queued).changes.length <= MAX_BATCH)) count += (this.#queue[take++] as Queued).changes.length
        const batch = this.#queue.splice(0, take)
        this.#queuedChanges -= count
        const last = batch.at(-1) as Queued
        const changes = batch.flatMap((queued) => queued.changes)
        if (changes.length > 0) await this.#context.log.append(changes, last.commitLsn)
        this.#context.durable(last.end)
        for (const change of changes) await this.#broadcast(change)
      }
    } catch (error) {
      // The stream restarts from the last acknowledged position; what was not logged comes again.
      this.#failure = error
      this.#queue = []
      this.#queuedChanges = 0
      this.#context.fail(error)
    }
  }

  async #broadcast(change: PreparedChange): Promise<void> {
    const rt = this.#context.rt()
    const { filterRow, identity, history } = this.#context
    const targets: Array<{ room: string; data: ChangePayload; except: string[] }> = []
    const row = change.full.new ?? change.full.old ?? {}
    const allowed = new Map<string, boolean>()
    const projected = new Map<string, ChangePayload>()
    for (const room of this.#context.rooms.of(change.table)) {
      if (room.filter !== undefined && !room.filter.matches(change.full.new) && !room.filter.matches(change.full.old)) continue
      const except: string[] = []
      if (filterRow !== undefined) {
        for (const conn of room.members) {
          const who = identity(conn)
          let may = allowed.get(who)
          if (may === undefined) {
            try {
              may = filterRow(conn, row, change.full) === true
            } catch (error) {
              this.#context.warn('filterRow threw: the change is not sent to that identity', { error })
              may = false
            }
            allowed.set(who, may)
          }
          if (!may) except.push(conn.id)
        }
        if (except.length === room.members.size) continue
      }
      const key = room.columns?.join(',') ?? ''
      let data = projected.get(key)
      if (data === undefined) projected.set(key, (data = projectPayload(change.payload, room.columns)))
      targets.push({ room: room.name, data, except })
    }
    if (rt === undefined || targets.length === 0) {
      history.lastId = Math.max(history.lastId, change.id)
      return
    }
    const jsons = [...projected.values()].map((data) => encodeData(data) as string)
    await history.broadcasting(change.id, jsons, () =>
      // This node's subscribers only: every node of a cluster reads a slot of its own.
      Promise.all(targets.map((target) => rt.local.to(target.room).except(target.except).emit(change.event, target.data))),
    )
  }
}
