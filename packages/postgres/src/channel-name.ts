import { ErrorCode, RealtimeError, parseChannelKey, type ChannelOptions } from '@org/realtime-core'

/** The channel-name prefix database changes live under. */
export const DB_NAMESPACE = 'db:'

/** What a `db:` channel name asks for. */
export interface TableChannel {
  /** The table's schema, e.g. `public`. */
  readonly schema: string
  /** The table's name, e.g. `todos`. */
  readonly table: string
  /** The row filter, e.g. `list_id=eq.42`, if any. */
  readonly filter: string | undefined
  /** The columns each change carries, if not all. */
  readonly columns: readonly string[] | undefined
}

/** Most columns a channel may select. */
const MAX_COLUMNS = 64

/**
 * The channel name of a table's changes: `db:<schema>:<table>`, then `?filter=<filter>` and
 * `&columns=<a,b>` when given, with `&`, `%`, `#` and `+` of the filter percent-encoded. Channel
 * names are at most 256 characters.
 * @example tableChannelName({ schema: 'public', table: 'todos', filter: 'list_id=eq.42' }) // 'db:public:todos?filter=list_id=eq.42'
 */
export function tableChannelName(channel: { schema: string; table: string; filter?: string | undefined; columns?: readonly string[] | undefined }): string {
  const query: string[] = []
  if (channel.filter !== undefined && channel.filter !== '') query.push(`filter=${encodeValue(channel.filter)}`)
  if (channel.columns !== undefined && channel.columns.length > 0) query.push(`columns=${channel.columns.map(encodeValue).join(',')}`)
  return `${DB_NAMESPACE}${channel.schema}:${channel.table}${query.length > 0 ? `?${query.join('&')}` : ''}`
}

/**
 * Reads a `db:` channel name (see {@link tableChannelName}); undefined when it is not one: not
 * under `db:`, no `schema:table`, or an unknown parameter.
 */
export function parseTableChannel(name: string): TableChannel | undefined {
  if (!name.startsWith(DB_NAMESPACE)) return undefined
  const rest = name.slice(DB_NAMESPACE.length)
  const question = rest.indexOf('?')
  const path = question === -1 ? rest : rest.slice(0, question)
  const match = /^([^:?&]+):([^:?&]+)$/.exec(path)
  if (match === null) return undefined
  let filter: string | undefined
  let columns: string[] | undefined
  if (question !== -1) {
    for (const part of rest.slice(question + 1).split('&')) {
      const equals = part.indexOf('=')
      if (equals === -1) return undefined
      const key = part.slice(0, equals)
      const value = decodeValue(part.slice(equals + 1))
      if (value === undefined) return undefined
      if (key === 'filter' && filter === undefined) filter = value
      else if (key === 'columns' && columns === undefined) {
        columns = value.split(',').map((column) => column.trim())
        if (columns.length > MAX_COLUMNS || columns.some((column) => column === '')) return undefined
      } else return undefined
    }
  }
  return { schema: match[1] as string, table: match[2] as string, filter, columns }
}

/**
 * The subscription options of a table channel (`client.channel('db:public:todos', { filter,
 * columns })`), checked: only `filter` (a string) and `columns` (1 to 64 column names) are
 * known, and they may not be given in the name's query as well.
 * @throws RealtimeError `BAD_REQUEST` for anything else.
 */
export function withTableOptions(channel: TableChannel, options: ChannelOptions | undefined): TableChannel {
  if (options === undefined) return channel
  for (const key of Object.keys(options)) {
    if (key !== 'filter' && key !== 'columns') throw badOption(`unknown option "${key.slice(0, 64)}": a table channel takes "filter" and "columns"`)
  }
  const { filter, columns } = options
  if (filter !== undefined && (typeof filter !== 'string' || filter === '')) throw badOption('"filter" must be a string such as "list_id=eq.42"')
  if (columns !== undefined && (!Array.isArray(columns) || columns.length === 0 || columns.length > MAX_COLUMNS || !columns.every((column) => typeof column === 'string' && column !== ''))) {
    throw badOption(`"columns" must list 1 to ${MAX_COLUMNS} column names`)
  }
  if ((filter !== undefined && channel.filter !== undefined) || (columns !== undefined && channel.columns !== undefined)) {
    throw badOption('give the filter and the columns either in the options or in the name, not both')
  }
  return { ...channel, filter: (filter as string | undefined) ?? channel.filter, columns: (columns as string[] | undefined) ?? channel.columns }
}

/**
 * What a `db:` room asks for: its channel key (see `channelKey` of `@org/realtime-core`) read
 * back, the name's query and the options together; undefined when it is not a valid table channel.
 */
export function readTableRoom(room: string): TableChannel | undefined {
  try {
    const { name, options } = parseChannelKey(room)
    const channel = parseTableChannel(name)
    return channel === undefined ? undefined : withTableOptions(channel, options)
  } catch {
    return undefined
  }
}

function badOption(why: string): RealtimeError {
  return new RealtimeError(ErrorCode.BadRequest, `Invalid table channel options: ${why}`)
}

function encodeValue(value: string): string {
  return value.replace(/[%&#+]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
}

function decodeValue(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}
