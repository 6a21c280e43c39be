import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { loadBuiltPage, type BuiltPageOptions } from '@org/example-kit/built-page'
import { listenRealtime } from '@org/example-kit/listen'
import { notFound, staticFileHandler } from '@org/example-kit/static-files'
import type { Logger } from '@org/realtime-core'
import { ErrorCode, type RealtimeServer } from '@org/realtime-server'
import { createNotificationServer, startTicker } from './notifications.js'
import { handleNotify } from './notify-handler.js'
import { NotifyRateLimit, type NotifyRateLimitOptions } from './notify-rate-limit.js'
import { serveFetch } from './serve-fetch.js'
import type { FeedUser } from './types.js'

/** The example's directory: its `vite.config.ts`, `src/` and `dist/web`. */
const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url))

/** Options of {@link startNotificationsServer}. */
export interface NotificationsServerOptions extends BuiltPageOptions {
  /** @default 3001; 0 picks a free port */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /**
   * Milliseconds between the demo notifications sent to every connected user; 0 sends none.
   * @default 0
   */
  tickerMs?: number
  /**
   * How many `POST /notify` each client address may send (a token bucket); past it the answer is
   * 429 `RATE_LIMITED`. `false` turns it off.
   * @default { burst: 5, perSecond: 1, addresses: 10000 }
   */
  notifyRateLimit?: NotifyRateLimitOptions | false
  /** @default silent */
  logger?: Logger
}

/** A running notifications server. */
export interface NotificationsServer {
  /** The page's URL, e.g. `http://127.0.0.1:3001/`. */
  url: string
  port: number
  /** The realtime server, to push notifications from elsewhere. */
  rt: RealtimeServer<FeedUser>
  /** Stops the ticker, closes every realtime connection, then the HTTP server. */
  close(): Promise<void>
}

/** Builds the page if needed, then serves it, `POST /notify`, and the realtime endpoint at `/realtime`. */
export async function startNotificationsServer({
  port = 3001,
  host = '127.0.0.1',
  tickerMs = 0,
  notifyRateLimit = {},
  logger,
  ...page
}: NotificationsServerOptions = {}): Promise<NotificationsServer> {
  const serveFile = staticFileHandler(await loadBuiltPage(EXAMPLE_DIR, page, logger))
  const rt = createNotificationServer({ logger })
  const notify = serveFetch((request) => handleNotify(rt, request))
  const limit = notifyRateLimit === false ? undefined : new NotifyRateLimit(notifyRateLimit)
  const http = createServer((request, response) => {
    // The path as sent, never parsed: a malformed URL (`//[`) must not throw here.
    if ((request.url ?? '/').split('?', 1)[0] === '/notify') {
      if (limit === undefined || limit.take(request.socket.remoteAddress ?? '')) return notify(request, response)
      const body = { code: ErrorCode.RateLimited, message: 'Too many notifications from this address: wait a second' }
      response.writeHead(429, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' }).end(JSON.stringify(body))
      return
    }
    if (!serveFile(request, response)) notFound(response)
  })
  rt.attach(http, { path: '/realtime' })
  const stopTicker = startTicker(rt, tickerMs)

  const listening = await listenRealtime(http, rt, port, host)
  return {
    ...listening,
    rt,
    async close() {
      stopTicker()
      await listening.close()
    },
  }
}
