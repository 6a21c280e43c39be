/**
 * Live database changes from PostgreSQL as realtime channels.
 * @module @org/realtime-postgres
 */
export { DB_NAMESPACE, parseTableChannel, tableChannelName, type TableChannel } from './channel-name.js'
export { FILTER_OPERATORS, MAX_IN_VALUES, compileFilter, isFilterable, type FilterOperator, type RowFilter } from './filter.js'
export type { PostgresChangesOptions, TableChannelRequest } from './options.js'
export type { ChangePayload, ChangeType, ResetPayload, TableEvents } from './payload.js'
export { postgresChanges, type PostgresChanges, type PostgresChangesEvents } from './plugin.js'
export {
  checkWalLevel,
  dropPostgresChanges,
  setupPostgresChanges,
  type PostgresSetupOptions,
  type PostgresTeardownOptions,
} from './setup.js'
