import type { Authorize, Connection, Logger } from '@org/realtime-server'
import type { TableChannel } from './channel-name.js'
import type { ChangePayload } from './payload.js'

/** A `db:` channel a client asks for, as `authorize` receives it. */
export interface TableChannelRequest extends TableChannel {
  /**
   * The channel's name with its filter and columns in it, as `tableChannelName` writes them
   * (`db:public:todos?filter=list_id=eq.42`), whether the client gave them as options
   * (`client.channel('db:public:todos', { filter })`) or in the name: rules written against names
   * see the filter either way.
   */
  readonly name: string
  /** The room the subscription joins: its channel key (the name and options the client sent). */
  readonly room: string
}

/** Options of `postgresChanges`. */
export interface PostgresChangesOptions<TData = Record<string, any>> {
  /** A PostgreSQL connection string of a role with the `REPLICATION` attribute (or a superuser). */
  readonly connectionString: string
  /**
   * Tables clients may subscribe to, as `schema.table` or `table` (schema `public`); each must be
   * in the publication.
   * @default every table of the publication
   */
  readonly tables?: readonly string[]
  /**
   * The durable logical replication slot to read: created when missing. A slot is read by one
   * process at a time: in a cluster, give each node a slot of its own (`realtime_<node>`); each
   * node then delivers every change to its own subscribers.
   * @default 'realtime'
   */
  readonly slot?: string
  /**
   * The publication to read (see `setupPostgresChanges`).
   * @default 'realtime'
   */
  readonly publication?: string
  /**
   * Schema of the change log, the channel history of every `db:` channel (tables
   * `realtime_changes` and `realtime_slots`, created when missing).
   * @default 'realtime'
   */
  readonly schema?: string
  /**
   * Longest JSON (UTF-16 code units) of a change's rows: a larger change is announced with a
   * `tooLarge` marker and its primary key instead of its rows. Keep it below the server's
   * `maxPayload` (1 MiB by default) minus a few hundred bytes for the frame.
   * @default 524288 (512 KiB)
   */
  readonly maxRowBytes?: number
  /**
   * Most distinct channels (table and filter and columns) of one table with subscribers in this
   * process: each change is matched against each of them, so past it a subscription that would
   * add one more is refused with `LIMIT_EXCEEDED` (channels already in use stay open to all).
   * @default 10_000
   */
  readonly maxChannelsPerTable?: number
  /**
   * Decides who may subscribe to a table channel, with its filter and columns already checked.
   * @default the app's `authorize(conn, channel.name, 'subscribe')`
   */
  readonly authorize?: (conn: Connection<TData>, channel: TableChannelRequest, app: Authorize<TData>) => boolean | Promise<boolean>
  /**
   * Whether `conn` may see a change of `row` (`new`, or `old` for a DELETE), for rules that row
   * security would apply in the database. Called once per change for each distinct `identity` among
   * the subscribers the change reaches, not per subscriber. A replay after a reconnect, and
   * `channel.history()`, go through it too, once per change for the connection that reads: a
   * returning client gets exactly the changes it may see.
   * @default every subscriber sees every change its filter matches
   */
  readonly filterRow?: (conn: Connection<TData>, row: Record<string, unknown>, change: ChangePayload) => boolean
  /**
   * Who `conn` is for `filterRow`: connections with the same identity share its answer.
   * @default the connection's id (one answer per connection)
   */
  readonly identity?: (conn: Connection<TData>) => string
  /**
   * How long the change log keeps changes, and how many at most; a client away longer gets
   * `recovered: false`.
   * @default { ageMs: 86_400_000 (a day), size: 100_000 }
   */
  readonly history?: {
    /** Ms a change is kept. */
    readonly ageMs?: number
    /** Most changes kept (of all tables of the slot). */
    readonly size?: number
  }
  /**
   * Ms between heartbeats (`pg_logical_emit_message`), which keep the slot moving on an idle
   * database so that PostgreSQL can recycle its WAL. 0 turns them off.
   * @default 30_000
   */
  readonly heartbeatMs?: number
  /**
   * Ms between acknowledgements of the durable position to PostgreSQL.
   * @default 10_000
   */
  readonly statusIntervalMs?: number
  /**
   * First and longest wait before the stream reconnects after the database went away (doubling).
   * @default [500, 10_000]
   */
  readonly retryMs?: readonly [first: number, max: number]
  /**
   * Longest wait of a subscription for the first start of the stream before it fails with `TIMEOUT`.
   * @default 15_000
   */
  readonly readyTimeoutMs?: number
  /**
   * Where diagnostics go; `false` silences them.
   * @default warnings and errors to stderr
   */
  readonly logger?: Logger | false
}
