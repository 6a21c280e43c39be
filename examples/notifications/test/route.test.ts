import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ErrorCode, type RealtimeClient, type RealtimeError } from '@org/realtime-client'
import { sseTransport } from '@org/realtime-transport-sse/client'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { handleNotify } from '../src/notify-handler.js'
import { rt } from '../src/realtime.js'
import * as route from '../src/route.js'
import { serveFetch } from '../src/serve-fetch.js'
import type { Notification } from '../src/types.js'
import { createClient, once, until } from '../../../test/support.js'

/**
 * A stand-in for Next.js: `/realtime` goes to the exported handler of the request's method, as
 * for `app/realtime/route.ts`; `/notify` to `handleNotify`, as an `app/notify/route.ts` would.
 */
let http: Server
let base: string
const methods: string[] = []

beforeAll(async () => {
  const handlers: Record<string, (request: Request) => Promise<Response>> = { GET: route.GET, POST: route.POST, DELETE: route.DELETE, OPTIONS: route.OPTIONS }
  http = createServer(
    serveFetch((request) => {
      const path = new URL(request.url).pathname
      if (path === '/notify') return handleNotify(rt, request)
      if (path !== '/realtime') return new Response('Not found', { status: 404 })
      const handler = handlers[request.method]
      if (handler === undefined) return new Response(null, { status: 405 })
      methods.push(request.method)
      return handler(request)
    }),
  )
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
})

afterAll(async () => {
  await rt.close()
  await new Promise<void>((resolve) => {
    http.close(() => resolve())
    http.closeAllConnections()
  })
})

function client(user: string): RealtimeClient {
  return createClient(`${base}/realtime`, { transports: [sseTransport()], auth: { user } })
}

it('exports only what a Next.js route module may export', () => {
  expect(Object.keys(route).sort()).toEqual(['DELETE', 'GET', 'OPTIONS', 'POST', 'dynamic', 'runtime'])
  expect(route).toMatchObject({ runtime: 'nodejs', dynamic: 'force-dynamic' })
})

it('has a variant for cacheComponents: the same handlers, and no segment config', async () => {
  const cacheComponents = await import('../src/route-cache-components.js')
  expect(Object.keys(cacheComponents).sort()).toEqual(['DELETE', 'GET', 'OPTIONS', 'POST'])
  const response = await cacheComponents.GET(new Request(`${base}/realtime?unknown=1`))
  const original = await route.GET(new Request(`${base}/realtime?unknown=1`))
  expect(response.status).toBe(original.status)
  expect(await response.text()).toBe(await original.text())
})

it('serves a full client through the exported handlers: connect, subscribe, notifications, refusal, close', async () => {
  const alice = client('alice')
  const bob = client('bob')
  await Promise.all([alice.channel('notifications:alice').subscribe(), bob.channel('notifications:bob').subscribe()])
  expect(alice.transport).toBe('sse')
  expect(rt.connections.size).toBe(2)

  const toBob = once<Notification>(bob.channel('notifications:bob'), 'notification')
  const response = await fetch(`${base}/notify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'bob', text: 'via the route' }) })
  expect(response.status).toBe(200)
  expect(await response.json()).toEqual({ notification: await toBob, listeners: 1 })

  const error = await bob.channel('notifications:alice').subscribe().then(
    () => expect.fail('expected a rejection'),
    (refusal: RealtimeError) => refusal,
  )
  expect(error.code).toBe(ErrorCode.Forbidden)

  bob.disconnect()
  await until(() => rt.connections.size === 1, 5000, 'the DELETE to end bob’s session')
  expect(new Set(methods)).toEqual(new Set(['GET', 'POST', 'DELETE']))
})

it('answers a CORS preflight through OPTIONS', async () => {
  const response = await fetch(`${base}/realtime?transport=sse&sid=sse_x`, { method: 'OPTIONS', headers: { origin: base, 'access-control-request-method': 'POST' } })
  expect(response.status).toBe(204)
  expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST, DELETE, OPTIONS')
  expect(methods).toContain('OPTIONS')
})
