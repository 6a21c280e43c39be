import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { documents, type Documents } from '@org/realtime-ot/server'
import { RealtimeError, RealtimeServer, type Logger, type RealtimeServerOptions } from '@org/realtime-server'
import { buildBrowserBundle } from './bundle.js'
import { DOCUMENT_ID, hueOf, type CursorInfo, type Editor } from './types.js'

/** Options of {@link startEditorServer}. */
export interface EditorServerOptions {
  /** @default 3000; 0 picks a free port */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /**
   * The text a document starts with, the first time it is opened.
   * @default a short welcome line
   */
  initialText?: string
  /**
   * Longest document, in code points.
   * @default 100000
   */
  maxDocumentLength?: number
  /** @default the server's */
  timing?: Pick<RealtimeServerOptions<Editor>, 'recovery' | 'pingIntervalMs' | 'pingTimeoutMs'>
  /** @default silent */
  logger?: Logger
}

/** A running editor server. */
export interface RunningEditorServer {
  /** The page's URL, e.g. `http://127.0.0.1:3000/`. */
  url: string
  port: number
  rt: RealtimeServer<Editor>
  docs: Documents<Editor>
  /** Closes every realtime connection, then the HTTP server. */
  close(): Promise<void>
}

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src data:; connect-src 'self'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
}

/** A name of 1 to 40 characters, trimmed; anything else is refused. */
function editorOf(auth: unknown): Editor {
  const name = typeof auth === 'object' && auth !== null ? (auth as { name?: unknown }).name : undefined
  if (typeof name !== 'string' || name.trim().length === 0 || name.trim().length > 40) throw new RealtimeError('UNAUTHORIZED', 'A name of 1 to 40 characters')
  return { name: name.trim(), hue: hueOf(name.trim()) }
}

/**
 * Builds the page, then serves it and the realtime endpoint at `/realtime`, with the `documents()`
 * plugin: every named visitor may read and write every document (ids of 1–64 letters, digits, `-`, `_`).
 */
export async function startEditorServer({
  port = 3000,
  host = '127.0.0.1',
  initialText = 'Welcome! Open this page in a second window and type in both.\n',
  maxDocumentLength = 100_000,
  timing,
  logger,
}: EditorServerOptions = {}): Promise<RunningEditorServer> {
  const [html, js] = await Promise.all([readFile(new URL('./web/index.html', import.meta.url)), buildBrowserBundle()])
  const routes: Record<string, [type: string, body: string | Buffer]> = {
    '/': ['text/html; charset=utf-8', html],
    '/app.js': ['text/javascript; charset=utf-8', js],
  }
  const http = createServer((request: IncomingMessage, response: ServerResponse) => {
    const route = routes[new URL(request.url ?? '/', 'http://x').pathname]
    if (route === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
      return
    }
    response.writeHead(200, { ...PAGE_HEADERS, 'content-type': route[0] }).end(request.method === 'HEAD' ? undefined : route[1])
  })
  const docs = documents<Editor>({
    load: (id) => (DOCUMENT_ID.test(id) ? initialText : undefined),
    maxDocumentLength,
    cursorInfo: (conn): CursorInfo => ({ name: conn.data.name, hue: conn.data.hue }),
    logger: logger ?? false,
  })
  const rt = new RealtimeServer<Editor>({
    ...timing,
    logger: logger ?? false,
    authenticate: ({ auth }) => editorOf(auth),
    // Documents only: reading is subscribing to `doc:<id>`, writing is publishing there (the plugin asks).
    authorize: (_conn, channel) => channel.startsWith('doc:') && DOCUMENT_ID.test(channel.slice(4)),
    plugins: [docs],
  })
  rt.attach(http, { path: '/realtime' })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, host, () => resolve())
  })
  const actualPort = (http.address() as AddressInfo).port
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/`,
    port: actualPort,
    rt,
    docs,
    async close() {
      await rt.close()
      await new Promise<void>((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      })
    },
  }
}
