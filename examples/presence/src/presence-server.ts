import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { loadBuiltPage, type BuiltPageOptions } from '@org/example-kit/built-page'
import { listenRealtime } from '@org/example-kit/listen'
import { staticSiteHandler } from '@org/example-kit/static-files'
import { RealtimeError, RealtimeServer, type Logger, type RealtimeServerOptions } from '@org/realtime-server'
import { presence, type PresencePlugin } from '@org/realtime-presence'
import { LOBBY, type Person } from './types.js'

/** The example's directory: its `vite.config.ts`, `src/` and `dist/web`. */
const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url))

/** Options of {@link startPresenceServer}. */
export interface PresenceServerOptions extends BuiltPageOptions {
  /** @default 3000; 0 picks a free port */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /**
   * How long a dropped page stays "away" before it leaves, and how soon a silent drop is noticed.
   * @default the server's: { recovery: { windowMs: 120000 }, pingIntervalMs: 25000, pingTimeoutMs: 20000 }
   */
  timing?: Pick<RealtimeServerOptions<Person>, 'recovery' | 'pingIntervalMs' | 'pingTimeoutMs'>
  /**
   * Tabs one person (one name) may have in the lobby at once; one more is refused with
   * `LIMIT_EXCEEDED` (it still sees who is online).
   * @default 5
   */
  tabsPerPerson?: number
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

/** A name of 1 to 40 characters, trimmed; anything else is refused. */
function personOf(auth: unknown): Person {
  const name = typeof auth === 'object' && auth !== null ? (auth as { name?: unknown }).name : undefined
  if (typeof name !== 'string' || name.trim().length === 0 || name.trim().length > 40) throw new RealtimeError('UNAUTHORIZED', 'A name of 1 to 40 characters')
  // One person per name, whatever its case: two tabs of "Ada" and "ada" are one member.
  return { userId: name.trim().toLowerCase(), name: name.trim() }
}

/** Builds the page if needed, then serves it and the realtime endpoint at `/realtime`, with presence in the lobby. */
export async function startPresenceServer({
  port = 3000,
  host = '127.0.0.1',
  timing,
  tabsPerPerson = 5,
  logger,
  ...page
}: PresenceServerOptions = {}): Promise<RunningPresenceServer> {
  const http = createServer(staticSiteHandler(await loadBuiltPage(EXAMPLE_DIR, page, logger)))
  const tracker = presence<Person>({ key: (conn) => conn.data.userId, maxMetasPerKey: tabsPerPerson })
  const rt = new RealtimeServer<Person>({
    ...timing,
    logger: logger ?? false,
    authenticate: ({ auth }) => personOf(auth),
    // Everyone sees the lobby's presence (its presence channel) and may track there.
    authorize: (_conn, channel, action) => (channel === LOBBY && action === 'subscribe') || (channel === `presence:${LOBBY}` && action === 'publish'),
    plugins: [tracker],
  })
  rt.attach(http, { path: '/realtime' })
  return { ...(await listenRealtime(http, rt, port, host)), rt, tracker }
}
