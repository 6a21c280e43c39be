import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { loadBuiltPage, type BuiltPageOptions } from '@org/example-kit/built-page'
import { listenRealtime } from '@org/example-kit/listen'
import { staticSiteHandler } from '@org/example-kit/static-files'
import { documents, type DocumentStorage, type Documents } from '@org/realtime-ot/server'
import { RealtimeError, RealtimeServer, type Logger, type RealtimeServerOptions } from '@org/realtime-server'
import { DOCUMENT_ID, hueOf, type CursorInfo, type Editor } from './types.js'

/** The example's directory: its `vite.config.ts`, `src/` and `dist/web`. */
const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url))

/** Options of {@link startEditorServer}. */
export interface EditorServerOptions extends BuiltPageOptions {
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
  /**
   * Where documents keep their ops and snapshots. Pass the same storage to a restarted server
   * (in one process) and the documents survive the restart.
   * @default memoryStorage() of this server: lost when it stops
   */
  storage?: DocumentStorage
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

/** A name of 1 to 40 characters, trimmed; anything else is refused. */
function editorOf(auth: unknown): Editor {
  const name = typeof auth === 'object' && auth !== null ? (auth as { name?: unknown }).name : undefined
  if (typeof name !== 'string' || name.trim().length === 0 || name.trim().length > 40) throw new RealtimeError('UNAUTHORIZED', 'A name of 1 to 40 characters')
  return { name: name.trim(), hue: hueOf(name.trim()) }
}

/**
 * Builds the page when needed, then serves it and the realtime endpoint at `/realtime`, with the `documents()`
 * plugin: every named visitor may read and write every document (ids of 1–64 letters, digits, `-`, `_`).
 */
export async function startEditorServer({
  port = 3000,
  host = '127.0.0.1',
  initialText = 'Welcome! Open this page in a second window and type in both.\n',
  maxDocumentLength = 100_000,
  storage,
  timing,
  logger,
  ...page
}: EditorServerOptions = {}): Promise<RunningEditorServer> {
  const http = createServer(staticSiteHandler(await loadBuiltPage(EXAMPLE_DIR, page, logger)))
  const docs = documents<Editor>({
    load: (id) => (DOCUMENT_ID.test(id) ? initialText : undefined),
    storage,
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
  return { ...(await listenRealtime(http, rt, port, host)), rt, docs }
}
