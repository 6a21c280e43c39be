/**
 * The client side of database changes: a table's changes as a channel. The channel itself is
 * `client.channel<TableEvents<Row>>('db:public:todos', { filter, columns })`; {@link table} adds
 * typed change objects and resubscribes by itself after a `RESET`.
 * @module @org/realtime-postgres/client
 */
import type { Channel, ChannelLifecycleEvents, Lifecycle, RealtimeClient, SubscribedEvent } from '@org/realtime-client'
import { DB_NAMESPACE } from './channel-name.js'
import type { ChangePayload, ChangeType } from './payload.js'

export { tableChannelName, parseTableChannel, type TableChannel } from './channel-name.js'
export type { ChangePayload, ChangeType, ResetPayload, TableEvents } from './payload.js'

/**
 * Options of a table channel: of {@link table}, and the subscription options of
 * `client.channel('db:<schema>:<table>', options)`.
 */
export type TableOptions = {
  /**
   * Only rows that match: `column=op.value` with `eq`, `neq`, `lt`, `lte`, `gt`, `gte`, or
   * `column=in.(a,b)`; checked by the server against the column's type at subscribe time.
   * @default every row
   */
  readonly filter?: string
  /**
   * Columns each change carries.
   * @default all
   */
  readonly columns?: readonly string[]
}

/** What a change listener receives. */
export interface TableChange<Row = Record<string, unknown>> {
  /** `INSERT`, `UPDATE` or `DELETE`. */
  readonly type: ChangeType
  /** The row after an INSERT or UPDATE. */
  readonly new: Row | undefined
  /** The row before an UPDATE or DELETE (all columns with `REPLICA IDENTITY FULL`, else its key). */
  readonly old: Partial<Row> | undefined
  /** When the transaction committed (ISO 8601). */
  readonly commitTimestamp: string
  /** The change's offset in the channel. */
  readonly offset: number | undefined
  /** Set when the row was too large to send: fetch it by `key`. */
  readonly tooLarge: boolean
  /** With `tooLarge`: the row's primary key. */
  readonly key: Record<string, unknown> | undefined
}

/** A table's changes, from {@link table}: subscribe, then hear INSERTs, UPDATEs and DELETEs. */
export interface TableChannelHandle<Row = Record<string, unknown>> {
  /** The underlying channel. */
  readonly channel: Channel
  /** Its lifecycle: `subscribed` with `recovered` (false: refetch the table), `unsubscribed`, `error`. */
  readonly lifecycle: Lifecycle<ChannelLifecycleEvents>
  /** Calls `listener` for every change of kind `type` (`*`: all). */
  on(type: ChangeType | '*', listener: (change: TableChange<Row>) => void): this
  /** Removes `listener`. */
  off(type: ChangeType | '*', listener: (change: TableChange<Row>) => void): this
  /**
   * Subscribes; resolves once changes committed from now on will arrive.
   * @throws RealtimeError `FORBIDDEN` (table not published, or refused), `BAD_REQUEST` (unknown
   * column, bad filter), `TIMEOUT`.
   */
  subscribe(): Promise<SubscribedEvent>
  /** Stops hearing changes. */
  unsubscribe(): void
}

const TYPES: readonly ChangeType[] = ['INSERT', 'UPDATE', 'DELETE']

/**
 * The changes of `name` (`schema:table`, e.g. `public:todos`), optionally filtered, as a channel
 * of `client`. When the server's change history starts over (its replication slot was lost), the
 * channel subscribes again and its `subscribed` event says `recovered: false`.
 * @example
 * const todos = table(client, 'public:todos', { filter: 'list_id=eq.42' })
 * todos.on('*', ({ type, new: row }) => render(type, row))
 * await todos.subscribe()
 */
export function table<Row = Record<string, unknown>>(client: RealtimeClient, name: string, options: TableOptions = {}): TableChannelHandle<Row> {
  const colon = name.indexOf(':')
  const [schema, tableName] = colon === -1 ? ['public', name] : [name.slice(0, colon), name.slice(colon + 1)]
  const { filter, columns } = options
  const channel = client.channel(`${DB_NAMESPACE}${schema}:${tableName}`, { filter: filter || undefined, columns: columns?.length ? columns : undefined })
  const listeners = new Map<ChangeType | '*', Set<(change: TableChange<Row>) => void>>()
  const dispatch = (payload: ChangePayload, offset: number | undefined): void => {
    const change: TableChange<Row> = {
      type: payload.type,
      new: payload.new as Row | undefined,
      old: payload.old as Partial<Row> | undefined,
      commitTimestamp: payload.commitTimestamp,
      offset,
      tooLarge: payload.tooLarge === true,
      key: payload.key,
    }
    for (const listener of listeners.get(payload.type) ?? []) listener(change)
    for (const listener of listeners.get('*') ?? []) listener(change)
  }
  for (const type of TYPES) channel.on(type, (data, { offset }) => dispatch(data as ChangePayload, offset))
  channel.on('RESET', () => {
    // The server's history started over: subscribe afresh, so that `subscribed` says recovered: false.
    if (channel.state === 'unsubscribed') return
    channel.unsubscribe()
    channel.subscribe().catch(() => undefined)
  })
  const handle: TableChannelHandle<Row> = {
    channel,
    lifecycle: channel.lifecycle,
    on(type, listener) {
      let set = listeners.get(type)
      if (set === undefined) listeners.set(type, (set = new Set()))
      set.add(listener)
      return handle
    },
    off(type, listener) {
      listeners.get(type)?.delete(listener)
      return handle
    },
    subscribe: () => channel.subscribe(),
    unsubscribe: () => channel.unsubscribe(),
  }
  return handle
}
