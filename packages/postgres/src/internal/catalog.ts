import type { Pool } from 'pg'

/** A published table: its columns' types (`pg_type.typname`) and primary key. */
export interface TableInfo {
  /** `schema.table`. */
  readonly key: string
  readonly columns: ReadonlyMap<string, string>
  readonly primaryKey: readonly string[]
}

/** Least ms between two reloads asked for by subscriptions to unknown tables. */
const RELOAD_EVERY_MS = 2000

/** The tables of a publication, loaded from the catalog and reloaded when asked. */
export class Catalog {
  readonly #pool: Pool
  readonly #publication: string
  #tables = new Map<string, TableInfo>()
  #loadedAt = 0
  #loading: Promise<void> | undefined

  constructor(pool: Pool, publication: string) {
    this.#pool = pool
    this.#publication = publication
  }

  /** The published table `schema.table`, if it is one. */
  get(key: string): TableInfo | undefined {
    return this.#tables.get(key)
  }

  get tables(): ReadonlyMap<string, TableInfo> {
    return this.#tables
  }

  /** `key`'s info, reloading the catalog first when it is unknown and was not reloaded lately. */
  async find(key: string): Promise<TableInfo | undefined> {
    const known = this.#tables.get(key)
    if (known !== undefined || Date.now() - this.#loadedAt < RELOAD_EVERY_MS) return known
    await this.load()
    return this.#tables.get(key)
  }

  /** Reloads every published table (one query at a time). */
  load(): Promise<void> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined
    })
    return this.#loading
  }

  async #load(): Promise<void> {
    const result = await this.#pool.query<{ schema: string; table: string; column: string; type: string; key: boolean }>(
      `SELECT p.schemaname AS schema, p.tablename AS table, a.attname AS column, t.typname AS type,
              coalesce(a.attnum = ANY (i.indkey), false) AS key
         FROM pg_publication_tables p
         JOIN pg_class c ON c.relname = p.tablename
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = p.schemaname
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
        WHERE p.pubname = $1
        ORDER BY a.attnum`,
      [this.#publication],
    )
    const tables = new Map<string, { key: string; columns: Map<string, string>; primaryKey: string[] }>()
    for (const row of result.rows) {
      const key = `${row.schema}.${row.table}`
      let table = tables.get(key)
      if (table === undefined) tables.set(key, (table = { key, columns: new Map(), primaryKey: [] }))
      table.columns.set(row.column, row.type)
      if (row.key) table.primaryKey.push(row.column)
    }
    this.#tables = tables
    this.#loadedAt = Date.now()
  }
}
