import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { RealtimeServer } from '@org/realtime-server'
import type { Plugin } from 'esbuild'
import { describe, expect, it, onTestFinished } from 'vitest'
import { pageScript, usePages } from '../../../test/browser.js'
import { allServerTransports } from '../../../test/support.js'

const packages = fileURLToPath(new URL('../../', import.meta.url))

/** Resolves `@org/realtime-<dir>[/<name>]` to the browser build's source, packages/<dir>/src/<name>.ts. */
const browserSources: Plugin = {
  name: 'browser-sources',
  setup(builder) {
    builder.onResolve({ filter: /^@org\/realtime-/ }, ({ path }) => {
      const [, dir, name] = /^@org\/realtime-([\w-]+)(?:\/([\w-]+))?$/.exec(path) ?? []
      return dir === undefined ? undefined : { path: `${packages}${dir}/src/${name ?? 'index'}.ts` }
    })
  },
}

/** An HTTP server on 127.0.0.1 with the page at `/`, its script, and the realtime server; closed after the test. */
async function appWithRealtime(): Promise<string> {
  // The client's sources: `window.RealtimeClient`.
  const script = await pageScript("import { RealtimeClient } from '@org/realtime-client'; window.RealtimeClient = RealtimeClient", packages, [browserSources])
  const server = http.createServer((request, response) => {
    if (request.url === '/client.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
    else response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><link rel="icon" href="data:,"><script type="module" src="/client.js"></script>')
  })
  const rt = new RealtimeServer({ transports: allServerTransports() })
  rt.attach(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    await rt.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

type PageWindow = typeof globalThis & { RealtimeClient: any; client: any; events: Array<[string, unknown]> }

describe('offline and online in Chromium', () => {
  const pages = usePages()

  it('drops the connection when the browser goes offline and reconnects as soon as it is back, resuming the session', async () => {
    const origin = await appWithRealtime()
    const page = await pages.open(`${origin}/`, 'offline page', { width: 800, height: 600 })
    await page.waitForFunction(() => (window as unknown as PageWindow).RealtimeClient !== undefined)
    await page.evaluate((url) => {
      const win = window as unknown as PageWindow
      // A backoff of a minute: only the `online` event can bring the client back within the test.
      win.client = new win.RealtimeClient(url, { reconnection: { initialDelayMs: 60_000, maxDelayMs: 60_000, jitter: 0 } })
      win.events = []
      for (const event of ['disconnect', 'reconnecting', 'reconnect']) win.client.lifecycle.on(event, (data: unknown) => win.events.push([event, data]))
    }, `${origin}/realtime`)
    await page.waitForFunction(() => (window as unknown as PageWindow).client.connected)
    const id = await page.evaluate(() => (window as unknown as PageWindow).client.id as string)
    await page.context().setOffline(true)
    await page.waitForFunction(() => (window as unknown as PageWindow).events.length >= 2)
    const dropped = await page.evaluate(() => (window as unknown as PageWindow).events)
    expect(dropped).toEqual([
      ['disconnect', expect.objectContaining({ reason: 'transport-close', willReconnect: true })],
      ['reconnecting', { attempt: 1, delayMs: 60_000 }],
    ])
    await page.context().setOffline(false)
    await page.waitForFunction(() => (window as unknown as PageWindow).events.length >= 3, undefined, { timeout: 5000 })
    const events = await page.evaluate(() => (window as unknown as PageWindow).events)
    expect(events[2]).toEqual(['reconnect', { attempts: 1, recovered: true }])
    expect(await page.evaluate(() => (window as unknown as PageWindow).client.id as string)).toBe(id)
  })
})
