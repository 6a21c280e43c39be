import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { RealtimeServer } from '@org/realtime-server'
import type { Logger } from '@org/realtime-core'
import { buildBrowserBundle } from './bundle.js'
import { attachChat, chatOptions } from './chat.js'
import type { ChatUser } from './types.js'

/** Options of {@link startChatServer}. */
export interface ChatServerOptions {
  /** @default 3000; 0 picks a free port */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
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
  /** Closes every realtime connection, then the HTTP server. */
  close(): Promise<void>
}

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src data:; connect-src 'self'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
}

/** Builds the page, then serves it and the chat's realtime endpoint at `/realtime`. */
export async function startChatServer({ port = 3000, host = '127.0.0.1', logger }: ChatServerOptions = {}): Promise<ChatServer> {
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
  const rt = new RealtimeServer<ChatUser>({ ...chatOptions, logger })
  attachChat(rt)
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
    },
  }
}
