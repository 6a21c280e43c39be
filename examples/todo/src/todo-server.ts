import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '@org/realtime-core'
import { postgresChanges, setupPostgresChanges } from '@org/realtime-postgres'
import { RealtimeServer } from '@org/realtime-server'
import pg from 'pg'
import { buildBrowserBundle } from './bundle.js'
import { TODOS_SQL, attachTodos } from './todos.js'

/** Options of {@link startTodoServer}. */
export interface TodoServerOptions {
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

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
}

/** Creates the table, publication and slot when missing, then serves the page and `/realtime`. */
export async function startTodoServer({ connectionString, port = 3001, host = '127.0.0.1', slot = 'todo_example', logger }: TodoServerOptions): Promise<TodoServer> {
  const db = new pg.Pool({ connectionString, max: 4 })
  await db.query(TODOS_SQL)
  await setupPostgresChanges({ connectionString, tables: ['public.todos'], publication: slot, slot })
  const [html, js] = await Promise.all([readFile(new URL('./web/index.html', import.meta.url)), buildBrowserBundle()])
  const routes: Record<string, [type: string, body: string | Buffer]> = {
    '/': ['text/html; charset=utf-8', html],
    '/app.js': ['text/javascript; charset=utf-8', js],
    '/favicon.ico': ['image/x-icon', ''],
  }
  const http = createServer((request: IncomingMessage, response: ServerResponse) => {
    const route = routes[new URL(request.url ?? '/', 'http://x').pathname]
    if (route === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
      return
    }
    response.writeHead(200, { ...PAGE_HEADERS, 'content-type': route[0] }).end(request.method === 'HEAD' ? undefined : route[1])
  })
  const changes = postgresChanges({ connectionString, tables: ['public.todos'], slot, publication: slot, logger: logger ?? false })
  // Anyone may read any list: an app would check the list's members here (authorize, filterRow).
  const rt = new RealtimeServer({ logger, plugins: [changes], authorize: () => true })
  attachTodos(rt, db)
  rt.attach(http, { path: '/realtime' })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, host, () => resolve())
  })
  await changes.ready()
  const actualPort = (http.address() as AddressInfo).port
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/`,
    port: actualPort,
    rt,
    async close() {
      await rt.close()
      await new Promise<void>((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      })
      await db.end()
    },
  }
}
