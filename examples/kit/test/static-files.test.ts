import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawRequest as raw } from '../src/raw-request.js'
import { loadStaticFiles, notFound, staticFileHandler, staticSiteHandler, type StaticFiles } from '../src/static-files.js'

let root: string
let files: StaticFiles

// A built page in `root/web`, and beside it a file that must never be served.
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kit-static-'))
  await mkdir(join(root, 'web', 'assets'), { recursive: true })
  await writeFile(join(root, 'web', 'index.html'), '<!doctype html><title>page</title>')
  await writeFile(join(root, 'web', 'assets', 'index-1a2b.js'), 'console.log(1)')
  await writeFile(join(root, 'secret.txt'), 'secret')
  files = await loadStaticFiles(join(root, 'web'))
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

/** Serves `handler` on 127.0.0.1 for the test; closed after it. */
async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port }
}

function close(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

describe('staticSiteHandler', () => {
  it('serves index.html at / and a hashed asset, with the CSP, and caches only the asset for good', async () => {
    const { server, port } = await serve(staticSiteHandler(files))
    try {
      const page = await raw(port, 'GET /?x=1 HTTP/1.1')
      expect(page.status).toBe(200)
      expect(page.body).toBe('<!doctype html><title>page</title>')
      expect(page.head).toContain('content-type: text/html; charset=utf-8')
      expect(page.head).toContain("content-security-policy: default-src 'self'")
      expect(page.head).toContain('x-content-type-options: nosniff')
      expect(page.head).toContain('cache-control: no-cache')
      const asset = await raw(port, 'GET /assets/index-1a2b.js HTTP/1.1')
      expect(asset.status).toBe(200)
      expect(asset.head).toContain('content-type: text/javascript; charset=utf-8')
      expect(asset.head).toContain('cache-control: public, max-age=31536000, immutable')
    } finally {
      await close(server)
    }
  })

  it('answers HEAD with the headers and no body', async () => {
    const { server, port } = await serve(staticSiteHandler(files))
    try {
      const head = await raw(port, 'HEAD /index.html HTTP/1.1')
      expect(head.status).toBe(200)
      expect(head.head).toContain('content-type: text/html; charset=utf-8')
      expect(head.head).toContain(`content-length: ${'<!doctype html><title>page</title>'.length}`)
      expect(head.body).toBe('')
    } finally {
      await close(server)
    }
  })

  it('answers 404 to traversal attempts, malformed URLs (//[), other methods and unknown paths, while a bystander keeps being served', async () => {
    const { server, port } = await serve(staticSiteHandler(files))
    try {
      const attempts = ['GET //[', 'GET http://[', 'GET /../secret.txt', 'GET /assets/../../secret.txt', 'GET /%2e%2e/secret.txt', 'GET /assets/%2e%2e%2f%2e%2e%2fsecret.txt', 'GET /..%5csecret.txt', 'GET /nothing', 'POST /', 'PUT /index.html', 'DELETE /index.html']
      for (const attempt of attempts) {
        const answer = await raw(port, `${attempt} HTTP/1.1`)
        expect(answer.status, attempt).toBe(404)
        expect(answer.body, attempt).not.toContain('secret')
        // The bystander, from another address, is still served after each attempt.
        expect((await raw(port, 'GET / HTTP/1.1', '127.0.0.2')).status, `after ${attempt}`).toBe(200)
      }
      expect(server.listening).toBe(true)
    } finally {
      await close(server)
    }
  })
})

describe('staticFileHandler', () => {
  it('returns false for what is not a file, so that the example’s own routes answer', async () => {
    const serveFile = staticFileHandler(files)
    const { server, port } = await serve((request, response) => {
      if (serveFile(request, response)) return
      if (request.url === '/notify') return void response.writeHead(204).end()
      notFound(response)
    })
    try {
      expect((await raw(port, 'GET / HTTP/1.1')).status).toBe(200)
      expect((await raw(port, 'GET /notify HTTP/1.1')).status).toBe(204)
      expect((await raw(port, 'GET //[ HTTP/1.1')).status).toBe(404)
      expect((await raw(port, 'POST /index.html HTTP/1.1')).status).toBe(404)
    } finally {
      await close(server)
    }
  })
})

describe('loadStaticFiles', () => {
  it('refuses a directory that holds no index.html', async () => {
    await expect(loadStaticFiles(join(root, 'web', 'assets'))).rejects.toThrow(/holds no index\.html/)
  })
})

