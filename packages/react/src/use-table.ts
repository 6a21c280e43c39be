import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react'
import { useRealtimeContext } from './context.js'
import { DEFAULT_MAX_ROWS, EMPTY_TABLE, defaultKey, tableStore, type TableSnapshot } from './table-store.js'

/** Options of {@link useTable}, read when the table is first held (by any component). */
export interface UseTableOptions<Row> {
  /**
   * Reads the rows (from the app's API): called after each subscription that could not replay
   * what it missed (the first, a reconnect after too long, the server's change history starting
   * over) and when a changed row was too large to be sent. Changes arriving meanwhile are applied
   * over its answer. Without it, `rows` holds only rows inserted or updated since mounting.
   * @default none
   */
  load?: () => Promise<readonly Row[]>
  /**
   * A row's identity, to apply UPDATEs and DELETEs (a DELETE carries the key columns only, unless
   * the table has `REPLICA IDENTITY FULL`).
   * @default `String(row.id)`
   */
  key?: (row: Row) => string
  /**
   * Most rows kept: rows past it are not added and `error` is `LIMIT_EXCEEDED`, so a table that
   * grows (other users insert) cannot grow the page's memory without bound.
   * @default 10000
   */
  maxRows?: number
}

/** What {@link useTable} returns. */
export type UseTableResult<Row> = TableSnapshot<Row>

/**
 * The rows of a table, kept in sync with its changes (`@org/realtime-postgres`): subscribes to
 * `name` (`schema:table`, e.g. `public:todos`) with `filter` (`column=eq.value`…; checked by the
 * server) while the component is mounted, loads the rows with `options.load`, and applies every
 * INSERT, UPDATE and DELETE. Components share one subscription per table and filter, released
 * `releaseDelayMs` after the last unmounted; a new `name` or `filter` swaps to the new channel.
 * @throws RealtimeError `BAD_REQUEST` outside a `RealtimeProvider`.
 *
 * @example
 * const { rows, state, error } = useTable<Todo>('public:todos', 'list_id=eq.42', { load: () => api.todos(42) })
 */
export function useTable<Row = Record<string, unknown>>(name: string, filter?: string, options: UseTableOptions<Row> = {}): UseTableResult<Row> {
  const { client, releaseDelayMs } = useRealtimeContext('useTable')
  const store = tableStore<Row>(client, name, filter)
  store.options ??= { key: options.key ?? defaultKey, load: options.load, maxRows: options.maxRows ?? DEFAULT_MAX_ROWS }
  const delay = useRef(releaseDelayMs)
  useEffect(() => {
    delay.current = releaseDelayMs
  })
  const subscribe = useMemo(() => (onChange: () => void) => store.subscribe(onChange, () => delay.current), [store])
  return useSyncExternalStore(subscribe, () => store.snapshot(), () => EMPTY_TABLE as TableSnapshot<Row>)
}
