import { RealtimeServer, type RealtimeServerOptions } from '@org/realtime-server'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { allServerTransports } from '../../../test/support.js'
import { postgresChanges, setupPostgresChanges, type PostgresChanges, type PostgresChangesOptions } from '../src/index.js'
import { dropSlot } from '../src/setup.js'

/** Every database, slot and publication of these tests starts with this; its second part is when it was made (s). */
const PREFIX = 'rtpg_'
/** Test databases and slots older than this are from a crashed run: dropped. */
const STALE_S = 1800

const host = process.env.PGHOST && !process.env.PGHOST.startsWith('/') ? process.env.PGHOST : '127.0.0.1'
const port = process.env.PGPORT ?? '5432'
const user = process.env.PGUSER ?? 'postgres'
const urlOf = (database: string): string => `postgres://${user}@${host}:${port}/${database}`

/** A database of its own for one test file: `url`, an `admin` pool in it, and a `slot` name prefix. */
export interface TestDatabase {
  readonly name: string
  readonly url: string
  readonly db: pg.Pool
}

/** Drops slots and databases of earlier runs that crashed. */
async function dropStale(admin: pg.Client): Promise<void> {
  const now = Math.floor(Date.now() / 1000)
  const stale = (name: string): boolean => {
    const made = Number(name.split('_')[1])
    return Number.isFinite(made) && now - made > STALE_S
  }
  const slots = await admin.query<{ slot_name: string }>(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE '${PREFIX}%'`)
  for (const { slot_name: slot } of slots.rows) if (stale(slot)) await dropSlot(admin, slot).catch(() => undefined)
  const dbs = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE '${PREFIX}%'`)
  for (const { datname } of dbs.rows) if (stale(datname)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined)
}

/** Creates a database for this test file before its tests, and drops it (with its slots) after. */
export function useTestDatabase(schemaSql: string): TestDatabase {
  const name = `${PREFIX}${Math.floor(Date.now() / 1000)}_${Math.random().toString(36).slice(2, 8)}`
  const state = { name, url: urlOf(name), db: undefined as unknown as pg.Pool }
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: urlOf('postgres') })
    await admin.connect()
    try {
      await dropStale(admin)
      await admin.query(`CREATE DATABASE "${name}"`)
    } finally {
      await admin.end()
    }
    state.db = new pg.Pool({ connectionString: state.url, max: 8 })
    await state.db.query(schemaSql)
  }, 60_000)
  afterAll(async () => {
    await state.db?.end()
    const admin = new pg.Client({ connectionString: urlOf('postgres') })
    await admin.connect()
    try {
      const slots = await admin.query<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots WHERE database = $1', [name])
      for (const { slot_name: slot } of slots.rows) await dropSlot(admin, slot)
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    } finally {
      await admin.end()
    }
  }, 60_000)
  return state
}

let slots = 0

/** A fresh slot and publication name in `database`. */
export function nextNames(database: TestDatabase): { slot: string; publication: string } {
  slots++
  return { slot: `${database.name}_s${slots}`, publication: `pub_${slots}` }
}

/** A server on 127.0.0.1 (port 0 unless given) with the plugin; the caller closes it. */
export async function startChangesServer<TData = Record<string, any>>(
  database: TestDatabase,
  plugin: Partial<PostgresChangesOptions<TData>> & { slot: string; publication: string },
  server: RealtimeServerOptions<TData> & { port?: number } = {},
  extra: Partial<PostgresChangesOptions<TData>> = {},
): Promise<{ rt: RealtimeServer<TData>; url: string; port: number; changes: PostgresChanges<TData> }> {
  const changes = postgresChanges<TData>({ connectionString: database.url, logger: false, heartbeatMs: 0, retryMs: [100, 500], ...plugin, ...extra })
  const { port: wanted, ...rest } = server
  const rt = new RealtimeServer<TData>({ transports: allServerTransports(), logger: false, authorize: () => true, plugins: [changes], ...rest })
  const port = await rt.listen(wanted ?? 0, { host: '127.0.0.1' })
  await changes.ready()
  return { rt, port, url: `http://127.0.0.1:${port}/realtime`, changes }
}

/** Runs setupPostgresChanges for `tables` with fresh names. */
export async function setupNames(database: TestDatabase, tables: readonly string[], replicaIdentityFull: boolean | readonly string[] = false): Promise<{ slot: string; publication: string }> {
  const names = nextNames(database)
  await setupPostgresChanges({ connectionString: database.url, tables, replicaIdentityFull, ...names })
  return names
}

/** Waits until `condition()` holds, polling, at most `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
