import { readdir, readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, relative, sep } from 'node:path'

/** A file of the built page, held in memory. */
export interface StaticFile {
  /** The `content-type` it is served with. */
  readonly type: string
  readonly body: Buffer
  /** Vite's hashed assets (`/assets/index-1a2b3c.js`) never change under their name: cached for good. */
  readonly immutable: boolean
}

/** The built page's files by URL path (`/index.html`, `/assets/…`, and `/` for `index.html`). */
export type StaticFiles = ReadonlyMap<string, StaticFile>

/** Answers a request for a file and returns true, or returns false for the caller to answer. */
export type StaticFileHandler = (request: IncomingMessage, response: ServerResponse) => boolean

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
  'x-content-type-options': 'nosniff',
}

/**
 * Reads every file under `dir` (the built page) into memory, keyed by its URL path; `/` is
 * `index.html`. Only these paths are ever served: no request path reaches the file system.
 * @throws Error when `dir` holds no `index.html` (the page is not built).
 */
export async function loadStaticFiles(dir: string): Promise<StaticFiles> {
  const files = new Map<string, StaticFile>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    const url = `/${relative(dir, path).split(sep).join('/')}`
    files.set(url, { type: TYPES[extname(entry.name)] ?? 'application/octet-stream', body: await readFile(path), immutable: url.startsWith('/assets/') })
  }
  const index = files.get('/index.html')
  if (index === undefined) throw new Error(`${dir} holds no index.html: build the page first`)
  files.set('/', index)
  return files
}

/**
 * Answers GET and HEAD of one of `files` (with a Content-Security-Policy, and cached for good
 * under a hashed name, else `no-cache`) and returns true; returns false for anything else, so
 * the example's own routes (or a 404) can answer. The path is looked up as sent, up to its
 * query, never parsed: a malformed URL (`//[`) is simply not one of the files.
 */
export function staticFileHandler(files: StaticFiles): StaticFileHandler {
  return (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false
    const file = files.get((request.url ?? '/').split('?', 1)[0]!)
    if (file === undefined) return false
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': file.type,
      'content-length': file.body.length,
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    })
    response.end(request.method === 'HEAD' ? undefined : file.body)
    return true
  }
}

/** Like {@link staticFileHandler}, answering 404 to whatever is not one of `files`. */
export function staticSiteHandler(files: StaticFiles): (request: IncomingMessage, response: ServerResponse) => void {
  const serveFile = staticFileHandler(files)
  return (request, response) => {
    if (!serveFile(request, response)) notFound(response)
  }
}

/** Answers 404 `Not found`, as plain text. */
export function notFound(response: ServerResponse): void {
  response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
}
