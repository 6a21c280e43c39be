import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { loadBuiltPage, type BuiltPageOptions } from '@org/example-kit/built-page'
import { listenRealtime } from '@org/example-kit/listen'
import { staticSiteHandler } from '@org/example-kit/static-files'
import type { Logger } from '@org/realtime-core'
import { postgresChanges, setupPostgresChanges } from '@org/realtime-postgres'
import { RealtimeServer } from '@org/realtime-server'
import pg from 'pg'
import { MAX_TODOS, TODOS_SQL, attachTodos } from './todos.js'

/** The example's directory: its `vite.config.ts`, `src/` and `dist/web`. */
const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url))

/** Options of {@link startTodoServer}. */
export interface TodoServerOptions extends BuiltPageOptions {
  /** PostgreSQL with `wal_level=logical`. */
  connectionString: string
  /** @default 3001; 0 picks a free port */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /**
   * Replication slot and publication names.
   * @default 'todo_example'
   */
  slot?: string
  /**
   * Most to-dos in one list: adding past it is refused with `LIMIT_EXCEEDED`.
   * @default 500
   */
  maxTodos?: number
  /** @default silent */
  logger?: Logger
}

/** A running to-do server. */
export interface TodoServer {
  url: string
  port: number
  rt: RealtimeServer
  close(): Promise<void>
}

/** Builds the page when needed, creates the table, publication and slot when missing, then serves the page and `/realtime`. */
export async function startTodoServer({
  connectionString,
  port = 3001,
  host = '127.0.0.1',
  slot = 'todo_example',
  maxTodos = MAX_TODOS,
  logger,
  ...page
}: TodoServerOptions): Promise<TodoServer> {
  const files = await loadBuiltPage(EXAMPLE_DIR, page, logger)
  const db = new pg.Pool({ connectionString, max: 4 })
  await db.query(TODOS_SQL)
  await setupPostgresChanges({ connectionString, tables: ['public.todos'], publication: slot, slot })
  const http = createServer(staticSiteHandler(files))
  const changes = postgresChanges({ connectionString, tables: ['public.todos'], slot, publication: slot, logger: logger ?? false })
  // Anyone may read any list: an app would check the list's members here (authorize, filterRow).
  const rt = new RealtimeServer({ logger, plugins: [changes], authorize: () => true })
  attachTodos(rt, db, { maxTodos })
  rt.attach(http, { path: '/realtime' })
  const listening = await listenRealtime(http, rt, port, host)
  await changes.ready()
  return {
    ...listening,
    rt,
    async close() {
      await listening.close()
      await db.end()
    },
  }
}
