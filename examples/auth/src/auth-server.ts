import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { APP_SHELL_CSS } from '@org/example-kit/app-shell'
import { listenRealtime } from '@org/example-kit/listen'
import { RealtimeServer, type Logger } from '@org/realtime-server'
import { TokenIssuer, type TokenUser } from './tokens.js'

/** Options of {@link startAuthServer}. */
export interface AuthServerOptions {
  /** @default 3002; 0 picks a free port */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /** The HS256 secret, at least 32 bytes. @default 32 random bytes, new at every start */
  secret?: Uint8Array
  /** Lifetime of the tokens `POST /token` issues, in seconds. @default 60 */
  tokenTtlSeconds?: number
  /** @default silent */
  logger?: Logger
}

/** A running auth example server. */
export interface AuthServer {
  /** The base URL, e.g. `http://127.0.0.1:3002/`: the page, `POST /token`, realtime at `/realtime`. */
  url: string
  port: number
  rt: RealtimeServer<TokenUser>
  tokens: TokenIssuer
  /** Closes every realtime connection, then the HTTP server. */
  close(): Promise<void>
}

const NAME = /^[\w-]{1,32}$/

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src data:; connect-src 'self'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
}

/**
 * Serves the page (`/`, `/app.js`, the kit's `/app-shell.css`), `POST /token` (`{ "name": "ada" }` → `{ token, expiresAt }`)
 * and the realtime endpoint, whose connections are authenticated by those tokens and renewed
 * before they expire. The page needs no bundler: the realtime server serves its browser client
 * at `/realtime/client.mjs`.
 */
export async function startAuthServer({ port = 3002, host = '127.0.0.1', secret, tokenTtlSeconds = 60, logger }: AuthServerOptions = {}): Promise<AuthServer> {
  const tokens = new TokenIssuer(secret, tokenTtlSeconds)
  const [html, js, css] = await Promise.all([readFile(new URL('./web/index.html', import.meta.url)), readFile(new URL('./web/app.js', import.meta.url)), readFile(APP_SHELL_CSS)])
  const pages: Record<string, [type: string, body: Buffer]> = {
    '/': ['text/html; charset=utf-8', html],
    '/app.js': ['text/javascript; charset=utf-8', js],
    '/app-shell.css': ['text/css; charset=utf-8', css],
  }

  const rt = new RealtimeServer<TokenUser>({
    // Every transport, every connection and every renewal (`auth` frame) goes through here.
    authenticate: ({ auth }) => tokens.verify((auth as { token?: unknown } | undefined)?.token),
    // The JWT's `exp` tells the client when to renew; a connection still on it then is closed with 4401.
    expiresAt: (data) => data.exp * 1000,
    // A user may subscribe to their own channel only, and publish nowhere.
    authorize: (conn, channel, action) => action === 'subscribe' && channel === `user:${conn.data.user}`,
    logger,
  })
  rt.on('connection', (conn) => {
    conn.on('whoami', () => ({ user: conn.data.user, expiresAt: conn.data.exp * 1000 }))
  })

  const http = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname
    if (path === '/token' && request.method === 'POST') {
      issueToken(request, response, tokens).catch((error: unknown) => {
        logger?.error('POST /token failed', { error })
        reply(response, 500, { error: 'Internal error' })
      })
      return
    }
    const page = pages[path]
    if (page !== undefined && (request.method === 'GET' || request.method === 'HEAD')) {
      response.writeHead(200, { ...PAGE_HEADERS, 'content-type': page[0] }).end(request.method === 'HEAD' ? undefined : page[1])
      return
    }
    reply(response, 404, { error: 'Not found' })
  })
  rt.attach(http, { path: '/realtime', serveClient: true })

  return { ...(await listenRealtime(http, rt, port, host)), rt, tokens }
}

/**
 * `POST /token`. This demo issues a token for any well-formed name: a real app checks who is
 * asking here (its login session cookie, say) and takes the user from that, never from the body.
 */
async function issueToken(request: IncomingMessage, response: ServerResponse, tokens: TokenIssuer): Promise<void> {
  let name: unknown
  try {
    name = (JSON.parse(await readBody(request, 1024)) as { name?: unknown }).name
  } catch {
    return reply(response, 400, { error: 'Send JSON: {"name":"ada"}' })
  }
  if (typeof name !== 'string' || !NAME.test(name)) return reply(response, 400, { error: 'name: 1 to 32 letters, digits, _ or -' })
  reply(response, 200, await tokens.issue(name))
}

function readBody(request: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        reject(new Error('body too large'))
        request.destroy()
      } else chunks.push(chunk)
    })
    request.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.once('error', reject)
  })
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body))
}
