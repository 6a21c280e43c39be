import { ErrorCode, type RealtimeClient, type RealtimeError } from '@org/realtime-client'
import { sseTransport } from '@org/realtime-transport-sse/client'
import { rawStatus } from '@org/example-kit/raw-request'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startNotificationsServer, type NotificationsServer } from '../src/notifications-server.js'
import { MAX_NOTIFY_BYTES } from '../src/notify-handler.js'
import type { Notification, SentNotification } from '../src/types.js'
import { fetchFrom } from '../../../test/fetch-from-address.js'
import { collect, createClient, once, until } from '../../../test/support.js'

let server: NotificationsServer

beforeEach(async () => {
  // No page, and no rate limit on /notify but in the test of it.
  server = await startNotificationsServer({ port: 0, host: '127.0.0.1', tickerMs: 0, webDir: false, notifyRateLimit: false })
})

afterEach(async () => {
  await server.close()
})

const realtimeUrl = (): string => new URL('/realtime', server.url).href

function client(user: unknown): RealtimeClient {
  return createClient(realtimeUrl(), { transports: [sseTransport()], auth: { user } })
}

/** A client of `user`, subscribed to its own feed, with every notification it receives. */
async function subscriber(user: string): Promise<{ client: RealtimeClient; received: Notification[] }> {
  const feedClient = client(user)
  const received = collect<Notification>(feedClient.channel(`notifications:${user}`), 'notification')
  await feedClient.channel(`notifications:${user}`).subscribe()
  return { client: feedClient, received }
}

function notify(body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(new URL('/notify', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  })
}

function rejection(promise: Promise<unknown>): Promise<RealtimeError> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: RealtimeError) => error,
  )
}

describe('the feed', () => {
  it('delivers a notification to its user over SSE, and to no other user', async () => {
    const alice = await subscriber('alice')
    const bob = await subscriber('bob')
    expect(bob.client.transport).toBe('sse')
    const toBob = once<Notification>(bob.client.channel('notifications:bob'), 'notification')

    const response = await notify({ user: 'bob', text: '  Your build passed  ' })
    expect(response.status).toBe(200)
    const { notification: sent, listeners } = (await response.json()) as SentNotification
    expect(sent).toEqual({ id: expect.any(String), text: 'Your build passed', at: expect.any(Number) })
    expect(listeners).toBe(1)
    expect(await toBob).toEqual(sent)

    // Frames of one connection arrive in order: once alice has her own, bob's would have come first.
    const toAlice = once<Notification>(alice.client.channel('notifications:alice'), 'notification')
    await notify({ user: 'alice', text: 'for alice' })
    await toAlice
    expect(alice.received.map((n) => n.text)).toEqual(['for alice'])
    expect(bob.received).toEqual([sent])
  })

  it('delivers to every connection of the user', async () => {
    const first = await subscriber('alice')
    const second = await subscriber('alice')
    const both = Promise.all([first, second].map(({ client }) => once<Notification>(client.channel('notifications:alice'), 'notification')))
    const { notification: sent, listeners } = (await (await notify({ user: 'alice', text: 'two tabs' })).json()) as SentNotification
    expect(await both).toEqual([sent, sent])
    expect(listeners).toBe(2)
  })

  it('answers that nobody was listening when the user has no page open', async () => {
    const bob = await subscriber('bob')
    const response = await notify({ user: 'carol', text: 'into the void' })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ notification: { id: expect.any(String), text: 'into the void', at: expect.any(Number) }, listeners: 0 })
    // A user connected but not subscribed to their feed is not listening either.
    const carol = client('carol')
    await once(carol.lifecycle, 'connect')
    expect(((await (await notify({ user: 'carol', text: 'still nobody' })).json()) as SentNotification).listeners).toBe(0)
    const next = once<Notification>(bob.client.channel('notifications:bob'), 'notification')
    await notify({ user: 'bob', text: 'bob still gets his' })
    expect((await next).text).toBe('bob still gets his')
  })

  it('refuses a subscription to another user’s channel with FORBIDDEN', async () => {
    const alice = client('alice')
    const error = await rejection(alice.channel('notifications:bob').subscribe())
    expect(error.code).toBe(ErrorCode.Forbidden)
    expect(error.message).toBe('Not allowed to subscribe "notifications:bob"')
    for (const channel of ['notifications:', 'notifications:alice:x', 'notifications', 'alice']) {
      expect((await rejection(alice.channel(channel).subscribe())).code, channel).toBe(ErrorCode.Forbidden)
    }
  })

  it('refuses a publish, even to the user’s own channel, with FORBIDDEN', async () => {
    const alice = await subscriber('alice')
    const error = await rejection(alice.client.channel('notifications:alice').publishWithAck('notification', { id: 'x', text: 'forged', at: 0 }))
    expect(error.code).toBe(ErrorCode.Forbidden)
  })

  it.each([[''], ['Alice'], ['a b'], ['alice:bob'], ['x'.repeat(33)], [undefined], [42]])(
    'refuses the user name %j with UNAUTHORIZED, and the client does not retry',
    async (user) => {
      const refused = client(user)
      const reconnecting = collect(refused.lifecycle, 'reconnecting')
      const error = await once<RealtimeError>(refused.lifecycle, 'error')
      expect(error.code).toBe(ErrorCode.Unauthorized)
      expect(error.message).toBe('user must be 1–32 characters of a-z, 0-9, "_" and "-"')
      expect(refused.state).toBe('disconnected')
      expect(reconnecting).toEqual([])
      expect(server.rt.connections.size).toBe(0)
    },
  )

  it('sends each connected user a demo notification when the ticker is on', async () => {
    await server.close()
    server = await startNotificationsServer({ port: 0, host: '127.0.0.1', tickerMs: 20, webDir: false })
    const alice = await subscriber('alice')
    const bob = await subscriber('bob')
    const ticks = await Promise.all([
      once<Notification>(alice.client.channel('notifications:alice'), 'notification'),
      once<Notification>(bob.client.channel('notifications:bob'), 'notification'),
    ])
    for (const tick of ticks) expect(tick).toEqual({ id: expect.any(String), text: expect.any(String), at: expect.any(Number) })
  })
})

describe('POST /notify', () => {
  it.each([
    ['a body that is not JSON', '{"user":', 'The body is not valid JSON'],
    ['an array', [], 'The body must be a JSON object { user, text }'],
    ['null', null, 'The body must be a JSON object { user, text }'],
    ['a missing user', { text: 'hi' }, 'user must be 1–32 characters of a-z, 0-9, "_" and "-"'],
    ['an invalid user', { user: '../bob', text: 'hi' }, 'user must be 1–32 characters of a-z, 0-9, "_" and "-"'],
    ['a missing text', { user: 'bob' }, 'text must be 1–500 characters'],
    ['a blank text', { user: 'bob', text: '   ' }, 'text must be 1–500 characters'],
    ['a text of 501 characters', { user: 'bob', text: 'x'.repeat(501) }, 'text must be 1–500 characters'],
    ['a text that is not a string', { user: 'bob', text: 42 }, 'text must be 1–500 characters'],
  ])('answers %s with 400 and a JSON error, and sends nothing', async (_, body, message) => {
    const bob = await subscriber('bob')
    const response = await notify(body)
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await response.json()).toEqual({ code: 'BAD_INPUT', message })
    const next = once(bob.client.channel('notifications:bob'), 'notification')
    await notify({ user: 'bob', text: 'x'.repeat(500) })
    expect(((await next) as Notification).text).toHaveLength(500)
    expect(bob.received).toHaveLength(1)
  })

  it('answers a body that is not application/json with 415', async () => {
    const response = await notify('user=bob&text=hi', { headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(response.status).toBe(415)
    expect(await response.json()).toEqual({ code: 'BAD_REQUEST', message: 'Send the body as application/json' })
  })

  it('answers a body over 4 KiB with 413', async () => {
    const response = await notify({ user: 'bob', text: 'x'.repeat(MAX_NOTIFY_BYTES) })
    expect(response.status).toBe(413)
    expect(await response.json()).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'The body must be at most 4096 bytes' })
  })

  it('answers 429 RATE_LIMITED past 5 notifications at once from an address, while another address is served', async () => {
    await server.close()
    server = await startNotificationsServer({ port: 0, host: '127.0.0.1', tickerMs: 0, webDir: false })
    const bob = await subscriber('bob')
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) statuses.push((await notify({ user: 'bob', text: `flood ${i}` })).status)
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200])
    expect(statuses.slice(5)).toContain(429)
    const refused = await notify({ user: 'bob', text: 'one more' })
    expect(refused.status).toBe(429)
    expect(await refused.json()).toEqual({ code: 'RATE_LIMITED', message: 'Too many notifications from this address: wait a second' })

    const fromBystander = await fetchFrom('127.0.0.2')(new URL('/notify', server.url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'bob', text: 'from another address' }),
    })
    expect(fromBystander.status).toBe(200)
    await until(() => bob.received.some((n) => n.text === 'from another address'), 2000, 'the bystander’s notification')
    expect(bob.received.filter((n) => n.text.startsWith('flood')).length).toBeLessThanOrEqual(7)
  })

  it('answers a GET with 405', async () => {
    const response = await fetch(new URL('/notify', server.url))
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('POST')
  })
})

describe('the HTTP server', () => {
  it('answers 404 to a malformed request path (GET //[) and keeps serving /notify', async () => {
    for (const path of ['//[', 'http://[', '/notify/../x']) expect(await rawStatus(server.port, `GET ${path} HTTP/1.1`), path).toBe(404)
    expect((await notify({ user: 'bob', text: 'still here' })).status).toBe(200)
  })
})
