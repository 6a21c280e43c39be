import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { RealtimeServer, type RealtimeServerOptions } from '@org/realtime-server'
import type { Logger } from '@org/realtime-core'
import { buildBrowserBundle } from './bundle.js'
import { attachChat, chatOptions } from './chat.js'
import { HistoryFile } from './history-file.js'
import { RoomHistory } from './history.js'
import type { ChatMessage, ChatUser } from './types.js'
import { isStoredMessage } from './validate.js'

/** Options of {@link startChatServer}. */
export interface ChatServerOptions {
  /** @default 3000; 0 picks a free port */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /**
   * JSON file that keeps the rooms' latest messages across restarts (at most 50 messages in each
   * of 100 rooms); `pnpm start` keeps it under the OS temp dir.
   * @default none: the history lives in memory and a restart forgets it
   */
  historyFile?: string
  /**
   * Heartbeat settings of the realtime server: a dropped connection that nobody closed is noticed
   * (and its user shown away) within `pingIntervalMs + pingTimeoutMs`.
   * @default the server's: { pingIntervalMs: 25000, pingTimeoutMs: 20000 }
   */
  heartbeat?: Pick<RealtimeServerOptions<ChatUser>, 'pingIntervalMs' | 'pingTimeoutMs'>
  /** @default silent */
  logger?: Logger
}

/** A running chat server. */
export interface ChatServer {
  /** The page's URL, e.g. `http://127.0.0.1:3000/`. */
  url: string
  port: number
  /** The realtime server behind the page. */
  rt: RealtimeServer<ChatUser>
  /** Closes every realtime connection, then the HTTP server, and writes the history file. */
  close(): Promise<void>
}

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src data:; connect-src 'self'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
}

/** Builds the page, then serves it and the chat's realtime endpoint at `/realtime`. */
export async function startChatServer({ port = 3000, host = '127.0.0.1', historyFile, heartbeat, logger }: ChatServerOptions = {}): Promise<ChatServer> {
  const file = historyFile === undefined ? undefined : new HistoryFile(historyFile, { onError: (error) => logger?.warn('chat history file', { error }) })
  const history: RoomHistory<ChatMessage> = new RoomHistory({ onChange: () => file?.save(() => history) })
  const [html, js, saved] = await Promise.all([readFile(new URL('./web/index.html', import.meta.url)), buildBrowserBundle(), file?.load()])
  history.restore(saved, isStoredMessage)
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
  const rt = new RealtimeServer<ChatUser>({ ...chatOptions, ...heartbeat, logger })
  attachChat(rt, history)
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
    async close() {
      await rt.close()
      await new Promise<void>((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      })
      await file?.flush()
    },
  }
}
