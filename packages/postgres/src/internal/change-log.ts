import { randomBytes } from 'node:crypto'
import type { Pool } from 'pg'

/** A change as the log keeps it: the history of every `db:` channel of its table. */
export interface LoggedChange {
  readonly id: number
  /** `schema.table`. */
  readonly table: string
  readonly event: string
  readonly json: string
  readonly at: number
}

/** Where a slot's log stands. */
export interface LogState {
  readonly epoch: string
  /** Commit LSN of the last transaction logged. */
  readonly lastLsn: string
  /** Id of the last change logged (0 before the first). */
  readonly lastId: number
  /** Changes up to this id were trimmed away. */
  readonly trimmedThrough: number
}

/** Quotes an identifier for SQL. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/** The SQL that creates the log's tables in `schema`. */
export function logTablesSql(schema: string): string {
  const s = ident(schema)
  return `CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.realtime_slots (slot text PRIMARY KEY, epoch text NOT NULL, last_lsn pg_lsn NOT NULL DEFAULT '0/0', trimmed_through bigint NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS ${s}.realtime_changes (slot text NOT NULL, id bigint NOT NULL, tbl text NOT NULL, event text NOT NULL, json text NOT NULL, at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (slot, id));
CREATE INDEX IF NOT EXISTS realtime_changes_tbl ON ${s}.realtime_changes (slot, tbl, id);`
}

/**
 * The durable change log of one replication slot, in PostgreSQL itself: every change gets an id
 * there (its offset in each of its table's channels) in the same transaction that records the
 * commit LSN, so a restarted server resumes clients from it and skips what it already logged.
 */
export class ChangeLog {
  readonly #pool: Pool
  readonly #slot: string
  readonly #changes: string
  readonly #slots: string

  constructor(pool: Pool, schema: string, slot: string) {
    this.#pool = pool
    this.#slot = slot
    this.#changes = `${ident(schema)}.realtime_changes`
    this.#slots = `${ident(schema)}.realtime_slots`
  }

  /** The log's state; `fresh` starts a new epoch (the slot was created anew), forgetting every change. */
  async open(fresh: boolean): Promise<LogState> {
    const client = await this.#pool.connect()
    try {
      await client.query('BEGIN')
      const epoch = randomBytes(6).toString('base64url')
      if (fresh) {
        await client.query(`DELETE FROM ${this.#changes} WHERE slot = $1`, [this.#slot])
        await client.query(`DELETE FROM ${this.#slots} WHERE slot = $1`, [this.#slot])
      }
      await client.query(`INSERT INTO ${this.#slots} (slot, epoch) VALUES ($1, $2) ON CONFLICT (slot) DO NOTHING`, [this.#slot, epoch])
      const state = await client.query<{ epoch: string; last_lsn: string; trimmed_through: string; last_id: string | null }>(
        `SELECT s.epoch, s.last_lsn::text, s.trimmed_through, (SELECT max(id) FROM ${this.#changes} c WHERE c.slot = s.slot) AS last_id FROM ${this.#slots} s WHERE s.slot = $1`,
        [this.#slot],
      )
      await client.query('COMMIT')
      const row = state.rows[0] as { epoch: string; last_lsn: string; trimmed_through: string; last_id: string | null }
      const trimmedThrough = Number(row.trimmed_through)
      return { epoch: row.epoch, lastLsn: row.last_lsn, lastId: Math.max(Number(row.last_id ?? 0), trimmedThrough), trimmedThrough }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw error
    } finally {
      client.release()
    }
  }

  /** Logs changes (of one or more transactions, in commit order) and the commit LSN of the last. */
  async append(changes: readonly LoggedChange[], commitLsn: string): Promise<void> {
    const client = await this.#pool.connect()
    try {
      await client.query('BEGIN')
      for (let start = 0; start < changes.length; start += 500) {
        const batch = changes.slice(start, start + 500)
        const values: unknown[] = [this.#slot]
        const rows = batch.map((change) => {
          values.push(change.id, change.table, change.event, change.json, new Date(change.at))
          const n = values.length
          return `($1, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`
        })
        await client.query(`INSERT INTO ${this.#changes} (slot, id, tbl, event, json, at) VALUES ${rows.join(', ')}`, values)
      }
      await client.query(`UPDATE ${this.#slots} SET last_lsn = $2 WHERE slot = $1`, [this.#slot, commitLsn])
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw error
    } finally {
      client.release()
    }
  }

  /** Records that the slot consumed WAL up to `lsn` with nothing to log (a transaction of other tables). */
  async advance(lsn: string): Promise<void> {
    await this.#pool.query(`UPDATE ${this.#slots} SET last_lsn = greatest(last_lsn, $2::pg_lsn) WHERE slot = $1`, [this.#slot, lsn])
  }

  /** Changes of `table` with `after < id <= through`, oldest first, at most `limit`. */
  async read(table: string, after: number, through: number, limit: number): Promise<LoggedChange[]> {
    const result = await this.#pool.query<{ id: string; event: string; json: string; at: Date }>(
      `SELECT id, event, json, at FROM ${this.#changes} WHERE slot = $1 AND tbl = $2 AND id > $3 AND id <= $4 ORDER BY id LIMIT $5`,
      [this.#slot, table, after, through, limit],
    )
    return result.rows.map((row) => ({ id: Number(row.id), table, event: row.event, json: row.json, at: row.at.getTime() }))
  }

  /** Drops changes older than `ageMs` and all but the last `keep`; returns the new trimmed-through id. */
  async trim(ageMs: number, keep: number, lastId: number): Promise<number> {
    const result = await this.#pool.query<{ through: string | null }>(
      `WITH gone AS (DELETE FROM ${this.#changes} WHERE slot = $1 AND (at < now() - make_interval(secs => $2::float8 / 1000) OR id <= $3) RETURNING id)
       UPDATE ${this.#slots} SET trimmed_through = greatest(trimmed_through, coalesce((SELECT max(id) FROM gone), 0)) WHERE slot = $1 RETURNING trimmed_through AS through`,
      [this.#slot, ageMs, lastId - keep],
    )
    return Number(result.rows[0]?.through ?? 0)
  }
}
