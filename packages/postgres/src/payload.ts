/**
 * What a row change looks like on the wire: the data of the `INSERT`, `UPDATE` and `DELETE`
 * events. `Row` types the rows (see `TableEvents`).
 */
export interface ChangePayload<Row = Record<string, unknown>> {
  /** `INSERT`, `UPDATE` or `DELETE`: also the event's name. */
  readonly type: ChangeType
  /** The table's schema. */
  readonly schema: string
  /** The table's name. */
  readonly table: string
  /** When the transaction committed, as an ISO 8601 string. */
  readonly commitTimestamp: string
  /** The row after an INSERT or UPDATE; absent for a DELETE, and when `tooLarge`. */
  readonly new?: Row
  /**
   * The row before an UPDATE or DELETE: with `REPLICA IDENTITY FULL` all its columns, else only
   * the primary key's (a DELETE) or nothing (an UPDATE that kept its key).
   */
  readonly old?: Partial<Row>
  /**
   * Set when the row's JSON exceeded `maxRowBytes`: `new` and `old` are left out, and `key`
   * names the row by its primary key (or replica identity) so the app can fetch it.
   */
  readonly tooLarge?: true
  /** With `tooLarge`: the row's primary key columns and values. */
  readonly key?: Record<string, unknown>
}

/** The kinds of row change. */
export type ChangeType = 'INSERT' | 'UPDATE' | 'DELETE'

/**
 * The data of the `RESET` event: the server's change history started over (its replication slot
 * was lost), so changes may have been missed: load the table again.
 */
export interface ResetPayload {
  /** Always `RESET`: tells it apart from a change where one listener hears several events. */
  readonly type: 'RESET'
  /** The new epoch of the channels' history. */
  readonly epoch: string
}

/**
 * The events of a table channel, to type `client.channel<TableEvents<Todo>>('db:public:todos', {
 * filter })`: `INSERT`, `UPDATE` and `DELETE` carry a {@link ChangePayload} of `Row`, `RESET` a
 * {@link ResetPayload}; a listener of `'*'` hears all four.
 */
export type TableEvents<Row = Record<string, unknown>> = {
  /** A row was inserted: `new` holds it. */
  INSERT: (change: ChangePayload<Row>) => void
  /** A row was updated: `new` holds it, `old` what it was (all of it with `REPLICA IDENTITY FULL`). */
  UPDATE: (change: ChangePayload<Row>) => void
  /** A row was deleted: `old` holds it (its key only without `REPLICA IDENTITY FULL`). */
  DELETE: (change: ChangePayload<Row>) => void
  /** The history started over: load the table again. */
  RESET: (reset: ResetPayload) => void
}

/** A column of a table as the replication stream describes it. */
export interface StreamColumn {
  readonly name: string
  /** The column type's oid: dates and timestamps are told apart by it. */
  readonly typeOid: number
}

const DATE = 1082
const TIMESTAMP = 1114

/** Makes a decoded row JSON-friendly: dates as ISO strings, bytea as `\x` hex, no undefined. */
export function normalizeRow(row: Record<string, unknown> | null | undefined, columns: readonly StreamColumn[]): Record<string, unknown> | undefined {
  if (row === null || row === undefined) return undefined
  const out: Record<string, unknown> = {}
  for (const { name, typeOid } of columns) {
    const value = row[name]
    if (value === undefined) continue
    out[name] = normalizeValue(value, typeOid)
  }
  return out
}

function normalizeValue(value: unknown, typeOid: number): unknown {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return String(value)
    if (typeOid === DATE) return `${pad(value.getFullYear(), 4)}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`
    if (typeOid === TIMESTAMP) {
      const local = new Date(value.getTime() - value.getTimezoneOffset() * 60_000)
      return local.toISOString().slice(0, -1)
    }
    return value.toISOString()
  }
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return value.map((item) => normalizeValue(item, 0))
  return value
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0')
}

/**
 * The payload of a change, or its `tooLarge` marker when its JSON would exceed `maxRowBytes`
 * (UTF-16 code units of `new` and `old` as JSON).
 */
export function changePayload(
  base: Omit<ChangePayload, 'tooLarge' | 'key'>,
  keyColumns: readonly string[],
  maxRowBytes: number,
): { payload: ChangePayload; json: string } {
  const json = JSON.stringify(base)
  if (json.length <= maxRowBytes) return { payload: base, json }
  const row = base.new ?? base.old ?? {}
  const key: Record<string, unknown> = {}
  for (const column of keyColumns) if (column in row) key[column] = row[column]
  const marker: ChangePayload = { type: base.type, schema: base.schema, table: base.table, commitTimestamp: base.commitTimestamp, tooLarge: true, key }
  return { payload: marker, json: JSON.stringify(marker) }
}

/** `payload` with `new` and `old` cut to `columns`. */
export function projectPayload(payload: ChangePayload, columns: readonly string[] | undefined): ChangePayload {
  if (columns === undefined || payload.tooLarge === true) return payload
  const pick = (row: Record<string, unknown> | undefined): Record<string, unknown> | undefined => {
    if (row === undefined) return undefined
    const out: Record<string, unknown> = {}
    for (const column of columns) if (column in row) out[column] = row[column]
    return out
  }
  const projected: { -readonly [K in keyof ChangePayload]: ChangePayload[K] } = { ...payload }
  if (payload.new !== undefined) projected.new = pick(payload.new)
  if (payload.old !== undefined) projected.old = pick(payload.old)
  return projected
}
