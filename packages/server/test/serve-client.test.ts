import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { RealtimeServer, type AttachOptions } from '@org/realtime-server'
import { describe, expect, it, onTestFinished } from 'vitest'
import { usePages } from '../../../test/browser.js'
import { allServerTransports } from '../../../test/support.js'

/** Pages of the app, which loads the client without a bundler, as the served files' users do. */
const PAGES: Record<string, string> = {
  '/classic': '<script src="/realtime/client.js"></script>',
  '/module': '<script type="module">import * as Realtime from "/realtime/client.mjs"; window.RealtimeModule = Realtime</script>',
}

/**
 * An app's own HTTP server on 127.0.0.1 (it answers its pages, and "app" on every other path) with
 * the realtime server attached to it; both closed after the test.
 */
async function appWithRealtime(options: AttachOptions = {}): Promise<{ rt: RealtimeServer; origin: string }> {
  const server = http.createServer((request, response) => {
    const page = PAGES[request.url ?? '']
    if (page === undefined) response.end('app')
    else response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><link rel="icon" href="data:,">${page}`)
  })
  const rt = new RealtimeServer({ transports: allServerTransports(), authorize: () => true })
  rt.on('connection', (conn) => {
    conn.on('echo', (text: string) => `echo: ${text}`)
  })
  rt.attach(server, options)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    await rt.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { rt, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

describe('serveClient', () => {
  it('serves the client as a classic script and as an ES module, with source maps, under the realtime path', async () => {
    const { origin } = await appWithRealtime({ path: '/live', serveClient: true })
    const classic = await fetch(`${origin}/live/client.js`)
    expect(classic.status).toBe(200)
    expect(classic.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    const script = await classic.text()
    expect(script).toMatch(/^"use strict";var Realtime=/)
    expect(script).toContain('//# sourceMappingURL=client.js.map')
    expect(Number(classic.headers.get('content-length'))).toBe(Buffer.byteLength(script))

    const module = await fetch(`${origin}/live/client.mjs`)
    expect(module.status).toBe(200)
    expect(module.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(module.headers.get('access-control-allow-origin')).toBe('*')
    expect(await module.text()).toMatch(/export\{[^}]*RealtimeClient[^}]*\}/)

    for (const map of ['client.js.map', 'client.mjs.map']) {
      const response = await fetch(`${origin}/live/${map}`)
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
      const { sources } = (await response.json()) as { sources: string[] }
      expect(sources.some((source) => source.endsWith('client/src/client.ts'))).toBe(true)
    }
    // Only those four names: the rest of the path is the app's.
    await expect((await fetch(`${origin}/live/other.js`)).text()).resolves.toBe('app')
  })

  it('answers a request carrying the current ETag with 304, HEAD without a body, and other methods with 405', async () => {
    const { origin } = await appWithRealtime({ serveClient: true })
    const first = await fetch(`${origin}/realtime/client.js`)
    const etag = first.headers.get('etag')
    expect(etag).toMatch(/^"[\w-]{27}"$/)
    expect(first.headers.get('cache-control')).toBe('public, max-age=0, must-revalidate')
    await first.arrayBuffer()

    const revalidated = await fetch(`${origin}/realtime/client.js`, { headers: { 'if-none-match': `W/${etag}` } })
    expect(revalidated.status).toBe(304)
    const head = await fetch(`${origin}/realtime/client.js`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000)
    expect(await head.text()).toBe('')
    const post = await fetch(`${origin}/realtime/client.js`, { method: 'POST', body: 'x' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })

  it('leaves the client paths to the app when serveClient is off, and again after rt.close()', async () => {
    const { origin } = await appWithRealtime()
    await expect((await fetch(`${origin}/realtime/client.js`)).text()).resolves.toBe('app')

    const served = await appWithRealtime({ serveClient: true })
    expect((await fetch(`${served.origin}/realtime/client.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    await served.rt.close()
    await expect((await fetch(`${served.origin}/realtime/client.js`)).text()).resolves.toBe('app')
  })

  it('answers 404 for the client paths of a server started with listen() without serveClient', async () => {
    const rt = new RealtimeServer({ transports: allServerTransports() })
    onTestFinished(() => rt.close())
    const port = await rt.listen(0, { host: '127.0.0.1' })
    expect((await fetch(`http://127.0.0.1:${port}/realtime/client.js`)).status).toBe(404)
  })
})

describe('the served client in a browser without a bundler', () => {
  const pages = usePages()

  for (const transport of ['websocket', 'sse', 'polling'] as const) {
    for (const [build, global] of [
      ['classic script', 'Realtime'],
      ['ES module', 'RealtimeModule'],
    ] as const) {
      it(`connects over ${transport} with the ${build}'s window.${global} and gets its ack`, async () => {
        const { origin } = await appWithRealtime({ serveClient: true })
        const path = global === 'Realtime' ? 'classic' : 'module'
        const page = await pages.open(`${origin}/${path}`, `${path} ${transport}`, { width: 400, height: 300 })
        // The module's script runs once the module has loaded; the classic one before the page is done.
        await page.waitForFunction((name) => name in window, global)
        const answer = await page.evaluate(
          async ([name, key]) => {
            const { RealtimeClient } = (window as unknown as Record<string, typeof import('@org/realtime-client')>)[key]!
            const client = new RealtimeClient(`${location.origin}/realtime`, { transports: [name] })
            const reply = await client.emitWithAck('echo', 'hi')
            client.disconnect()
            return reply
          },
          [transport, global] as const,
        )
        expect(answer).toBe('echo: hi')
      })
    }
  }
})
