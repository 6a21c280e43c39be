import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { interceptRequests } from './intercept-requests.js'

/**
 * The files of the client's browser build, by the name they are served under (after the realtime
 * path): the classic script that defines `window.Realtime`, the ES module, and their source maps.
 * The build (scripts/build-browser-client.mjs) writes them into the package's `dist/client`.
 */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  'client.js': 'text/javascript; charset=utf-8',
  'client.mjs': 'text/javascript; charset=utf-8',
  'client.js.map': 'application/json; charset=utf-8',
  'client.mjs.map': 'application/json; charset=utf-8',
}

interface ServedFile {
  readonly body: Buffer
  readonly contentType: string
  readonly etag: string
}

/** This module's folder: `dist` once built (tsup's shims give the CommonJS build `import.meta.url`), `src/internal` in the sources. */
const moduleDir = dirname(fileURLToPath(import.meta.url))

/** The package's `dist/client`, found from the nearest folder above this module with a package.json. */
function clientDir(): string {
  for (let dir = moduleDir, depth = 0; depth < 4; depth++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'client')
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return join(moduleDir, 'client')
}

/** Read once per process: the files never change while it runs. */
let files: ReadonlyMap<string, ServedFile> | undefined

function loadFiles(): ReadonlyMap<string, ServedFile> {
  if (files !== undefined) return files
  const dir = clientDir()
  const loaded = new Map<string, ServedFile>()
  for (const [name, contentType] of Object.entries(CONTENT_TYPES)) {
    let body: Buffer
    try {
      body = readFileSync(join(dir, name))
    } catch (cause) {
      throw new Error(
        `serveClient: the client's browser build is missing (${join(dir, name)}). @org/realtime-server ships it in dist/client ` +
          '(in the repository, `pnpm build` makes it); a bundle of the server leaves it behind, so serve the files of ' +
          "@org/realtime-client's dist/browser yourself instead.",
        { cause },
      )
    }
    loaded.set(name, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` })
  }
  files = loaded
  return loaded
}

/** Answers a request for one of the files: GET and HEAD, revalidated by ETag. */
function answer(request: IncomingMessage, response: ServerResponse, file: ServedFile): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end()
    return
  }
  const headers = {
    'content-type': file.contentType,
    // Revalidated on every load, so a page gets the client of the server it talks to after a deploy.
    'cache-control': 'public, max-age=0, must-revalidate',
    etag: file.etag,
    'x-content-type-options': 'nosniff',
    // A module script from another origin is fetched with CORS; the file is public.
    'access-control-allow-origin': '*',
  }
  const ifNoneMatch = request.headers['if-none-match']
  if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === file.etag)) {
    response.writeHead(304, headers).end()
    return
  }
  response.writeHead(200, { ...headers, 'content-length': file.body.length })
  response.end(request.method === 'HEAD' ? undefined : file.body)
}

/**
 * Serves the client's browser build on `server` at `<path>/client.js`, `<path>/client.mjs` and
 * their `.map` files, whatever the order of the app's own request listeners. Throws if the build
 * is missing. Returns a function that stops serving them.
 */
export function serveClient(server: HttpServer, path: string): () => void {
  const base = path.endsWith('/') ? path : `${path}/`
  const stops = [...loadFiles()].map(([name, file]) => interceptRequests(server, base + name, (request, response) => answer(request, response, file)))
  return () => {
    for (const stop of stops.reverse()) stop()
  }
}
