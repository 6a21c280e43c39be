import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '@org/realtime-core'
import type { RealtimeServer } from '@org/realtime-server'
import { buildBrowserBundle } from './bundle.js'
import { createNotificationServer, startTicker } from './notifications.js'
import { handleNotify } from './notify-handler.js'
import { serveFetch } from './serve-fetch.js'
import type { FeedUser } from './types.js'

/** Options of {@link startNotificationsServer}. */
export interface NotificationsServerOptions {
  /** @default 3001; 0 picks a free port */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /**
   * Milliseconds between the demo notifications sent to every connected user; 0 sends none.
   * @default 0
   */
  tickerMs?: number
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

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src data:; connect-src 'self'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
}

/** Builds the page, then serves it, `POST /notify`, and the realtime endpoint at `/realtime`. */
export async function startNotificationsServer({ port = 3001, host = '127.0.0.1', tickerMs = 0, logger }: NotificationsServerOptions = {}): Promise<NotificationsServer> {
  const [html, js] = await Promise.all([readFile(new URL('./web/index.html', import.meta.url)), buildBrowserBundle()])
  const pages: Record<string, [type: string, body: string | Buffer]> = {
    '/': ['text/html; charset=utf-8', html],
    '/app.js': ['text/javascript; charset=utf-8', js],
  }
  const rt = createNotificationServer({ logger })
  const notify = serveFetch((request) => handleNotify(rt, request))
  const http = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname
    if (path === '/notify') return notify(request, response)
    const page = pages[path]
    if (page === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
      return
    }
    response.writeHead(200, { ...PAGE_HEADERS, 'content-type': page[0] }).end(request.method === 'HEAD' ? undefined : page[1])
  })
  rt.attach(http, { path: '/realtime' })
  const stopTicker = startTicker(rt, tickerMs)

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, host, () => resolve())
  })
  const actualPort = (http.address() as AddressInfo).port
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/`,
    port: actualPort,
    rt,
    async close() {
      stopTicker()
      await rt.close()
      await new Promise<void>((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      })
    },
  }
}
