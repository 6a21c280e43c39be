import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { RealtimeError, RealtimeServer, type Logger, type RealtimeServerOptions } from '@org/realtime-server'
import { presence, type PresencePlugin } from '@org/realtime-presence'
import { buildBrowserBundle } from './bundle.js'
import { LOBBY, type Person } from './types.js'

/** Options of {@link startPresenceServer}. */
export interface PresenceServerOptions {
  /** @default 3000; 0 picks a free port */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /**
   * How long a dropped page stays "away" before it leaves, and how soon a silent drop is noticed.
   * @default the server's: { recovery: { windowMs: 120000 }, pingIntervalMs: 25000, pingTimeoutMs: 20000 }
   */
  timing?: Pick<RealtimeServerOptions<Person>, 'recovery' | 'pingIntervalMs' | 'pingTimeoutMs'>
  /** @default silent */
  logger?: Logger
}

/** A running who's-online server. */
export interface RunningPresenceServer {
  /** The page's URL, e.g. `http://127.0.0.1:3000/`. */
  url: string
  port: number
  rt: RealtimeServer<Person>
  tracker: PresencePlugin<Person>
  /** Closes every realtime connection, then the HTTP server. */
  close(): Promise<void>
}

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src data:; connect-src 'self'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
}

/** A name of 1 to 40 characters, trimmed; anything else is refused. */
function personOf(auth: unknown): Person {
  const name = typeof auth === 'object' && auth !== null ? (auth as { name?: unknown }).name : undefined
  if (typeof name !== 'string' || name.trim().length === 0 || name.trim().length > 40) throw new RealtimeError('UNAUTHORIZED', 'A name of 1 to 40 characters')
  // One person per name, whatever its case: two tabs of "Ada" and "ada" are one member.
  return { userId: name.trim().toLowerCase(), name: name.trim() }
}

/** Builds the page, then serves it and the realtime endpoint at `/realtime`, with presence in the lobby. */
export async function startPresenceServer({ port = 3000, host = '127.0.0.1', timing, logger }: PresenceServerOptions = {}): Promise<RunningPresenceServer> {
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
  const tracker = presence<Person>({ key: (conn) => conn.data.userId })
  const rt = new RealtimeServer<Person>({
    ...timing,
    logger: logger ?? false,
    authenticate: ({ auth }) => personOf(auth),
    // Everyone sees the lobby's presence (its presence channel) and may track there.
    authorize: (_conn, channel, action) => (channel === LOBBY && action === 'subscribe') || (channel === `presence:${LOBBY}` && action === 'publish'),
    plugins: [tracker],
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
    tracker,
    async close() {
      await rt.close()
      await new Promise<void>((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      })
    },
  }
}
