import pg from 'pg'
import { ident, logTablesSql } from './internal/change-log.js'

/** What {@link setupPostgresChanges} prepares. */
export interface PostgresSetupOptions {
  /** A PostgreSQL connection string of a role that may create publications and replication slots. */
  readonly connectionString: string
  /** Tables to publish, as `schema.table` or `table` (schema `public`). */
  readonly tables: readonly string[]
  /**
   * The publication the plugin reads.
   * @default 'realtime'
   */
  readonly publication?: string
  /**
   * The replication slot the plugin reads: created here when missing.
   * @default 'realtime'
   */
  readonly slot?: string
  /**
   * Schema of the change log the plugin keeps its channel history in.
   * @default 'realtime'
   */
  readonly schema?: string
  /**
   * Tables whose UPDATE and DELETE changes should carry the whole old row (`REPLICA IDENTITY
   * FULL`): needed for `old` beyond the primary key, for filters and `filterRow` on DELETEs, and
   * for an UPDATE that moves a row out of a filter. `true` for all of `tables`.
   * @default false
   */
  readonly replicaIdentityFull?: boolean | readonly string[]
}

/** `schema.table` → quoted SQL name and `schema.table` key. */
export function tableName(table: string): { sql: string; key: string } {
  const dot = table.indexOf('.')
  const [schema, name] = dot === -1 ? ['public', table] : [table.slice(0, dot), table.slice(dot + 1)]
  return { sql: `${ident(schema)}.${ident(name)}`, key: `${schema}.${name}` }
}

/**
 * The error thrown when `wal_level` is not `logical`, or undefined when it is.
 */
export async function checkWalLevel(client: pg.Client | pg.Pool): Promise<Error | undefined> {
  const result = await client.query<{ wal_level: string }>('SHOW wal_level')
  const level = result.rows[0]?.wal_level
  if (level === 'logical') return undefined
  return new Error(
    `PostgreSQL has wal_level=${level}; database changes need logical replication: run \`ALTER SYSTEM SET wal_level = logical\` as a superuser and restart PostgreSQL (managed services: enable "logical replication" in its settings).`,
  )
}

/**
 * Prepares a database for `postgresChanges`, idempotently: checks `wal_level`, creates the
 * publication of `tables` (adding any missing ones), sets `REPLICA IDENTITY FULL` where asked,
 * creates the change-log tables and the replication slot.
 * @throws Error when `wal_level` is not `logical` (the message says how to enable it), or when
 * the role may not create what is needed.
 */
export async function setupPostgresChanges(options: PostgresSetupOptions): Promise<void> {
  const publication = options.publication ?? 'realtime'
  const slot = options.slot ?? 'realtime'
  const client = new pg.Client({ connectionString: options.connectionString })
  await client.connect()
  try {
    const wal = await checkWalLevel(client)
    if (wal !== undefined) throw wal
    const tables = options.tables.map(tableName)
    const existing = await client.query<{ schemaname: string; tablename: string }>('SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1', [publication])
    const exists = (await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication])).rowCount === 1
    const published = new Set(existing.rows.map((row) => `${row.schemaname}.${row.tablename}`))
    const missing = tables.filter((table) => !published.has(table.key))
    if (!exists) await client.query(`CREATE PUBLICATION ${ident(publication)}${tables.length > 0 ? ` FOR TABLE ${tables.map((table) => table.sql).join(', ')}` : ''}`)
    else if (missing.length > 0) await client.query(`ALTER PUBLICATION ${ident(publication)} ADD TABLE ${missing.map((table) => table.sql).join(', ')}`)
    const full = options.replicaIdentityFull === true ? options.tables : options.replicaIdentityFull === false || options.replicaIdentityFull === undefined ? [] : options.replicaIdentityFull
    for (const table of full) await client.query(`ALTER TABLE ${tableName(table).sql} REPLICA IDENTITY FULL`)
    await client.query(logTablesSql(options.schema ?? 'realtime'))
    const slots = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot])
    if (slots.rowCount === 0) await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot])
  } finally {
    await client.end()
  }
}

/** What {@link dropPostgresChanges} removes. */
export type PostgresTeardownOptions = Pick<PostgresSetupOptions, 'connectionString' | 'publication' | 'slot' | 'schema'>

/**
 * Removes what {@link setupPostgresChanges} made for one slot: the replication slot (ending the
 * stream that still reads it), the publication and the slot's change log. Stop the plugin first.
 * A slot nobody reads keeps WAL on the disk: drop the slots you no longer use.
 */
export async function dropPostgresChanges(options: PostgresTeardownOptions): Promise<void> {
  const slot = options.slot ?? 'realtime'
  const schema = ident(options.schema ?? 'realtime')
  const client = new pg.Client({ connectionString: options.connectionString })
  await client.connect()
  try {
    await dropSlot(client, slot)
    await client.query(`DROP PUBLICATION IF EXISTS ${ident(options.publication ?? 'realtime')}`)
    const logged = await client.query('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [options.schema ?? 'realtime', 'realtime_slots'])
    if (logged.rowCount === 1) {
      await client.query(`DELETE FROM ${schema}.realtime_changes WHERE slot = $1`, [slot])
      await client.query(`DELETE FROM ${schema}.realtime_slots WHERE slot = $1`, [slot])
    }
  } finally {
    await client.end()
  }
}

/** Drops replication slot `slot` if it exists, ending the connection that reads it first. */
export async function dropSlot(client: pg.Client | pg.Pool, slot: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const found = await client.query<{ active_pid: number | null }>('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot])
    const row = found.rows[0]
    if (row === undefined) return
    if (row.active_pid !== null) await client.query('SELECT pg_terminate_backend($1)', [row.active_pid])
    try {
      await client.query('SELECT pg_drop_replication_slot($1)', [slot])
      return
    } catch (error) {
      // Still active (its reader had not exited yet): try again shortly.
      if (!/is active/.test(String((error as Error).message))) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  throw new Error(`Replication slot ${slot} stayed in use`)
}
