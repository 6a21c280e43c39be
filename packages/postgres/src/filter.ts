import { ErrorCode, RealtimeError } from '@org/realtime-server'

/** The operators a channel filter may use, as in PostgREST: `column=op.value`. */
export const FILTER_OPERATORS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in'] as const

/** One of {@link FILTER_OPERATORS}. */
export type FilterOperator = (typeof FILTER_OPERATORS)[number]

/** Most values an `in` filter may list. */
export const MAX_IN_VALUES = 50

/** A filter checked against its table: matches rows in the form the change payloads carry them. */
export interface RowFilter {
  /** The filtered column. */
  readonly column: string
  /** Whether `row` (a change's `new` or `old`) passes; false for a missing row or a null value. */
  matches(row: Record<string, unknown> | null | undefined): boolean
}

/** How values of one PostgreSQL type are compared: parse the filter's text, read a row's value. */
interface Comparable {
  parse(text: string): unknown
  read(value: unknown): unknown
}

const asNumber: Comparable = {
  parse: (text) => (/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text) ? Number(text) : undefined),
  read: (value) => (typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : undefined),
}
const asInteger: Comparable = {
  parse: (text) => (/^-?\d{1,19}$/.test(text) ? BigInt(text) : undefined),
  read: (value) => (typeof value === 'number' || typeof value === 'string' ? safeBigInt(value) : undefined),
}
const asText: Comparable = { parse: (text) => text, read: (value) => (typeof value === 'string' ? value : undefined) }
const asUuid: Comparable = {
  parse: (text) => (/^[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}$/i.test(text) ? text.toLowerCase().replace(/-/g, '') : undefined),
  read: (value) => (typeof value === 'string' ? value.toLowerCase().replace(/-/g, '') : undefined),
}
const asBoolean: Comparable = {
  parse: (text) => (text === 'true' ? 1 : text === 'false' ? 0 : undefined),
  read: (value) => (typeof value === 'boolean' ? Number(value) : undefined),
}
const asTime: Comparable = {
  parse: (text) => {
    const time = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}(:?\d{2})?)?)?$/.test(text) ? Date.parse(text) : NaN
    return Number.isNaN(time) ? undefined : time
  },
  read: (value) => (typeof value === 'string' ? Date.parse(value) : undefined),
}

/** Comparable PostgreSQL types by name (`pg_type.typname`). */
const TYPES: Record<string, Comparable> = {
  int2: asInteger,
  int4: asInteger,
  int8: asInteger,
  oid: asInteger,
  float4: asNumber,
  float8: asNumber,
  numeric: asNumber,
  text: asText,
  varchar: asText,
  bpchar: asText,
  citext: asText,
  name: asText,
  uuid: asUuid,
  bool: asBoolean,
  date: asTime,
  timestamp: asTime,
  timestamptz: asTime,
}

/** Whether a column of type `typeName` can be filtered on. */
export function isFilterable(typeName: string): boolean {
  return Object.hasOwn(TYPES, typeName)
}

/**
 * Checks `text` (`column=op.value`, or `column=in.(a,b)`) against the table's columns and their
 * types (`pg_type.typname` by column name), and compiles it.
 * @throws RealtimeError `BAD_REQUEST` for bad syntax, an unknown operator or column, a column
 * type that cannot be filtered, or a value that is not of the column's type.
 */
export function compileFilter(text: string, columns: ReadonlyMap<string, string>): RowFilter {
  const match = /^([^=]+)=([a-z]+)\.(.*)$/s.exec(text)
  if (match === null) throw bad(`Filter "${text}" is not of the form column=operator.value`)
  const [, column, operator, raw] = match as unknown as [string, string, string, string]
  if (!(FILTER_OPERATORS as readonly string[]).includes(operator)) {
    throw bad(`Filter operator "${operator}" is not one of ${FILTER_OPERATORS.join(', ')}`)
  }
  const typeName = columns.get(column)
  if (typeName === undefined) throw bad(`Column "${column}" does not exist in the table`)
  const type = TYPES[typeName]
  if (type === undefined) throw bad(`Column "${column}" is of type ${typeName}, which filters do not support`)
  const parse = (value: string): unknown => {
    const parsed = type.parse(value)
    if (parsed === undefined) throw bad(`Filter value "${value}" is not a valid ${typeName} for column "${column}"`)
    return parsed
  }
  if (operator === 'in') {
    const list = /^\((.*)\)$/s.exec(raw)
    if (list === null) throw bad(`Filter "${text}": in takes a list, e.g. in.(1,2,3)`)
    const values = splitList(list[1] as string)
    if (values.length > MAX_IN_VALUES) throw bad(`Filter "${column}=in" lists ${values.length} values, more than ${MAX_IN_VALUES}`)
    const wanted = new Set(values.map(parse))
    return { column, matches: (row) => test(row, column, type, (value) => wanted.has(value)) }
  }
  const wanted = parse(raw) as number | bigint | string
  const compare = COMPARISONS[operator as Exclude<FilterOperator, 'in'>]
  return { column, matches: (row) => test(row, column, type, (value) => compare(value as typeof wanted, wanted)) }
}

const COMPARISONS: Record<Exclude<FilterOperator, 'in'>, (value: number | bigint | string, wanted: number | bigint | string) => boolean> = {
  eq: (value, wanted) => value === wanted,
  neq: (value, wanted) => value !== wanted,
  lt: (value, wanted) => value < wanted,
  lte: (value, wanted) => value <= wanted,
  gt: (value, wanted) => value > wanted,
  gte: (value, wanted) => value >= wanted,
}

function test(row: Record<string, unknown> | null | undefined, column: string, type: Comparable, check: (value: unknown) => boolean): boolean {
  const value = row?.[column]
  if (value === null || value === undefined) return false
  const read = type.read(value)
  return read !== undefined && !(typeof read === 'number' && Number.isNaN(read)) && check(read)
}

/** `a,"b,c",d` → `a`, `b,c`, `d`. */
function splitList(text: string): string[] {
  const values: string[] = []
  const pattern = /\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*))\s*(,|$)/gy
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    values.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] as string).trim())
    if (match[3] === '' || values.length > MAX_IN_VALUES) break
  }
  return values
}

function safeBigInt(value: number | string): bigint | undefined {
  try {
    return typeof value === 'number' ? (Number.isInteger(value) ? BigInt(value) : undefined) : BigInt(value)
  } catch {
    return undefined
  }
}

function bad(message: string): RealtimeError {
  return new RealtimeError(ErrorCode.BadRequest, message)
}
