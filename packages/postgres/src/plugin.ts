import { ErrorCode, RealtimeError, TypedEmitter, type Connection, type Logger, type PluginServer, type RealtimePlugin } from '@org/realtime-server'
import { channelKey, encodeData } from '@org/realtime-core'
import pg from 'pg'
import { DB_NAMESPACE, parseTableChannel, tableChannelName, withTableOptions } from './channel-name.js'
import { compileFilter } from './filter.js'
import { Applier } from './internal/applier.js'
import { Catalog } from './internal/catalog.js'
import { ChangeLog, logTablesSql } from './internal/change-log.js'
import { DbHistory } from './internal/db-history.js'
import { defaultLogger } from './internal/default-logger.js'
import { ReplicationStream } from './internal/replication.js'
import { TableRooms } from './internal/rooms.js'
import type { PostgresChangesOptions } from './options.js'
import type { ChangePayload, ResetPayload } from './payload.js'
import { checkWalLevel, tableName } from './setup.js'

/** Events of {@link PostgresChanges.events}. */
export type PostgresChangesEvents = {
  /** The replication stream started, first time or after the database came back. */
  connected: () => void
  /** The stream stopped (the database went away, or a change could not be logged); it reconnects after `retryInMs`. */
  disconnected: (error: unknown, retryInMs: number) => void
  /**
   * The replication slot was gone (dropped, or invalidated past `max_slot_wal_keep_size`) and was
   * created anew: changes in between are lost, the channels' history starts a new `epoch`, and
   * clients are told to refetch (`RESET` event; `recovered: false` on their next subscription).
   */
  reset: (epoch: string) => void
}

class ChangesEvents extends TypedEmitter<PostgresChangesEvents> {
  emit<K extends keyof PostgresChangesEvents>(event: K, ...args: Parameters<PostgresChangesEvents[K]>): void {
    this.emitLocal(event, ...args)
  }
}

/** The plugin `postgresChanges` returns: a `RealtimePlugin` with its events and readiness. */
export interface PostgresChanges<TData = Record<string, any>> extends RealtimePlugin<TData> {
  /** `connected`, `disconnected` and `reset`. */
  readonly events: TypedEmitter<PostgresChangesEvents>
  /**
   * Resolves once changes flow (the stream started); rejects with the reason the first start
   * failed, such as `wal_level` not being `logical` (it keeps retrying meanwhile).
   */
  ready(): Promise<void>
}

/**
 * Live changes of PostgreSQL tables as `db:` channels: `db:public:todos`, or filtered
 * `db:public:todos?filter=list_id=eq.42&columns=id,title` (see `tableChannelName`). It reads a
 * durable logical replication slot (pgoutput), logs every change in a change log in the database
 * (the channels' history: their offsets survive a server restart), acknowledges the LSN only
 * once it is logged, then broadcasts the change as an `INSERT`, `UPDATE` or `DELETE` event. A
 * table or filter clients may not have is refused at subscribe time.
 * @example
 * const rt = new RealtimeServer({ plugins: [postgresChanges({ connectionString, tables: ['todos'] })] })
 */
export function postgresChanges<TData = Record<string, any>>(options: PostgresChangesOptions<TData>): PostgresChanges<TData> {
  const slot = options.slot ?? 'realtime'
  const publication = options.publication ?? 'realtime'
  const schema = options.schema ?? 'realtime'
  const logger: Logger = options.logger === false ? silent : (options.logger ?? defaultLogger)
  const allowed = options.tables === undefined ? undefined : new Set(options.tables.map((table) => tableName(table).key))
  const events = new ChangesEvents()
  const maxChannels = options.maxChannelsPerTable ?? 10_000
  const pool = new pg.Pool({ connectionString: options.connectionString, max: 4 })
  pool.on('error', (error) => logger.warn('postgres-changes: a pooled connection failed', { error }))
  const catalog = new Catalog(pool, publication)
  const log = new ChangeLog(pool, schema, slot)
  const filterRow = options.filterRow as ((conn: Connection<any>, row: Record<string, unknown>, change: ChangePayload) => boolean) | undefined
  const rooms = new TableRooms(catalog, filterRow !== undefined)
  /** Whether `reader` may see the change logged as `json`, for a replay or a history page: what `filterRow` says of its row. */
  const mayRead = (filter: NonNullable<typeof filterRow>, reader: Connection<any>, json: string): boolean => {
    const change = JSON.parse(json) as ChangePayload
    // A too-large marker carries only the row's key: the filter decides on that.
    try {
      return filter(reader, change.new ?? change.old ?? change.key ?? {}, change) === true
    } catch (error) {
      logger.warn('postgres-changes: filterRow threw: the change is not replayed to that connection', { error })
      return false
    }
  }
  let rt: PluginServer<TData> | undefined
  let started = false
  let markOpened: () => void = () => undefined
  /** Settles once the change log was opened the first time: the history's epoch and offsets are known. */
  const opened = new Promise<void>((resolve) => (markOpened = resolve))
  const waiters: Array<{ resolve: () => void; reject: (error: unknown) => void; failFast: boolean }> = []
  const history = new DbHistory(log, (room) => rooms.view(room), () => opened, filterRow === undefined ? undefined : (reader, json) => mayRead(filterRow, reader, json))
  let stream: ReplicationStream | undefined
  const applier = new Applier({
    rt: () => rt,
    log,
    history,
    rooms,
    catalog,
    logSchema: schema,
    maxRowBytes: options.maxRowBytes ?? 524_288,
    filterRow,
    identity: (options.identity as never) ?? ((conn) => conn.id),
    durable: (lsn) => stream?.durable(lsn),
    fail: (error) => stream?.fail(error),
    warn: (message, context) => logger.warn(`postgres-changes: ${message}`, context),
  })
  const timers: Array<ReturnType<typeof setInterval>> = []

  /** Before each (re)start: wal_level, log tables, the slot (anew when lost), the log, the catalog. */
  async function prepare(): Promise<void> {
    const wal = await checkWalLevel(pool)
    if (wal !== undefined) throw wal
    const pub = await pool.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication])
    if (pub.rowCount === 0) throw new Error(`Publication "${publication}" does not exist: create it with setupPostgresChanges({ connectionString, tables, publication: '${publication}' })`)
    await pool.query(logTablesSql(schema))
    const found = await pool.query<{ wal_status: string | null }>('SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1', [slot])
    let fresh = false
    if (found.rows[0]?.wal_status === 'lost') {
      logger.error(`postgres-changes: replication slot "${slot}" was invalidated (it fell behind max_slot_wal_keep_size): changes since are lost; starting a new epoch`, {})
      await pool.query('SELECT pg_drop_replication_slot($1)', [slot])
    }
    if (found.rowCount === 0 || found.rows[0]?.wal_status === 'lost') {
      await pool.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot])
      fresh = true
    }
    const before = history.epoch
    const state = await log.open(fresh)
    await catalog.load()
    const resetting = before !== '' && before !== state.epoch
    // Offset lastId + 1 of the new epoch carries the RESET announcement.
    await applier.reset(state.lastLsn, state.lastId + (resetting ? 1 : 0))
    history.opened(state)
    markOpened()
    if (resetting) {
      if (found.rowCount === 0) logger.error(`postgres-changes: replication slot "${slot}" was gone: changes since are lost; starting a new epoch`, {})
      events.emit('reset', state.epoch)
      await announceReset(state.epoch, state.lastId + 1)
    }
  }

  /** Tells the subscribers of every `db:` room here that the history started over. */
  async function announceReset(epoch: string, id: number): Promise<void> {
    const names = [...rooms.all()].map((room) => room.name)
    const server = rt
    const reset: ResetPayload = { type: 'RESET', epoch }
    history.lastId = id
    if (server === undefined || names.length === 0) return
    await history.broadcasting(id, [encodeData(reset) as string], () => Promise.all(names.map((name) => server.local.to(name).emit('RESET', reset))))
  }

  /**
   * Resolves once the stream started. `timeoutMs`: rejects with `TIMEOUT` after it (a
   * subscription); without it, rejects with the reason of the next failed start (`ready()`).
   */
  function waitReady(timeoutMs: number | undefined): Promise<void> {
    if (started) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => done(new RealtimeError(ErrorCode.Timeout, 'Database changes are not flowing yet: try again')), timeoutMs)
      timer?.unref?.()
      const waiter = { resolve: () => done(undefined), reject: (error: unknown) => done(error), failFast: timeoutMs === undefined }
      const done = (error: unknown): void => {
        clearTimeout(timer)
        const index = waiters.indexOf(waiter)
        if (index !== -1) waiters.splice(index, 1)
        if (error === undefined) resolve()
        else reject(error)
      }
      waiters.push(waiter)
    })
  }

  function start(): void {
    stream = new ReplicationStream(
      { connectionString: options.connectionString, slot, publication, statusIntervalMs: options.statusIntervalMs ?? 10_000, retryMs: options.retryMs ?? [500, 10_000] },
      {
        prepare,
        idle: () => applier.idle,
        message: (_lsn, message) => applier.message(message),
        started: () => {
          started = true
          for (const waiter of [...waiters]) waiter.resolve()
          logger.info('postgres-changes: streaming', { slot })
          events.emit('connected')
        },
        stopped: (error, retryInMs) => {
          logger.error(`postgres-changes: replication stopped, retrying in ${retryInMs} ms`, { error })
          if (!started) for (const waiter of waiters.filter((waiting) => waiting.failFast)) waiter.reject(error)
          events.emit('disconnected', error, retryInMs)
        },
      },
    )
    stream.start()
    const heartbeatMs = options.heartbeatMs ?? 30_000
    if (heartbeatMs > 0) {
      timers.push(setInterval(() => void pool.query("SELECT pg_logical_emit_message(false, 'realtime-heartbeat', '')").catch(() => undefined), heartbeatMs))
    }
    const ageMs = options.history?.ageMs ?? 86_400_000
    const size = options.history?.size ?? 100_000
    timers.push(
      setInterval(() => {
        void log.trim(ageMs, size, applier.lastId).then(
          (through) => (history.trimmedThrough = through),
          () => undefined,
        )
      }, Math.min(60_000, ageMs)),
    )
    for (const timer of timers) timer.unref?.()
  }

  return {
    name: 'postgres-changes',
    namespaces: [DB_NAMESPACE],
    history,
    events,
    ready: () => waitReady(undefined),
    setup(server) {
      rt = server
      start()
    },
    channelOptions: true,
    async authorize(conn, channel, action, app, subscription) {
      if (action !== 'subscribe') return false
      const named = parseTableChannel(channel)
      if (named === undefined) throw new RealtimeError(ErrorCode.BadRequest, `"${channel}" is not a table channel: db:<schema>:<table>, with options { filter, columns }`)
      const parsed = withTableOptions(named, subscription)
      const room = channelKey(channel, subscription)
      await waitReady(options.readyTimeoutMs ?? 15_000)
      const key = `${parsed.schema}.${parsed.table}`
      const table = allowed === undefined || allowed.has(key) ? await catalog.find(key) : undefined
      if (table === undefined) throw new RealtimeError(ErrorCode.Forbidden, `Table ${key} is not published for realtime changes`)
      for (const column of parsed.columns ?? []) {
        if (!table.columns.has(column)) throw new RealtimeError(ErrorCode.BadRequest, `Column "${column}" does not exist in ${key}`)
      }
      if (parsed.filter !== undefined) compileFilter(parsed.filter, table.columns)
      if (!rooms.reserve(key, room, maxChannels)) {
        throw new RealtimeError(ErrorCode.LimitExceeded, `Table ${key} has ${maxChannels} channels in use: subscribe to one of them, or without a filter`)
      }
      // The app's rules see the filter in the name, whichever form the client used.
      const request = { ...parsed, name: subscription === undefined ? channel : tableChannelName(parsed), room }
      return options.authorize !== undefined ? options.authorize(conn, request, app) : app(conn, request.name, 'subscribe')
    },
    onJoin(conn, room) {
      if (room.startsWith(DB_NAMESPACE)) rooms.join(conn, room)
    },
    onLeave(conn, room) {
      if (room.startsWith(DB_NAMESPACE)) rooms.leave(conn, room)
    },
    async onClose() {
      for (const timer of timers) clearInterval(timer)
      await applier.drain()
      await stream?.close()
      history.close()
      await pool.end()
    },
  }
}

const ignore = (): void => undefined
const silent: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore }
