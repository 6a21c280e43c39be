/**
 * The database-changes hook: `useTable(name, filter)`, on `@org/realtime-postgres/client`.
 * @module @org/realtime-react/table
 */
export { DEFAULT_MAX_ROWS, type TableSnapshot } from './table-store.js'
export { useTable, type UseTableOptions, type UseTableResult } from './use-table.js'
export type { TableChange } from '@org/realtime-postgres/client'
