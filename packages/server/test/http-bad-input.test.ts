import { ErrorCode } from '@org/realtime-core'
import { RealtimeServer } from '@org/realtime-server'
import { pollingTransport } from '@org/realtime-transport-polling/server'
import { sseTransport } from '@org/realtime-transport-sse/server'
import { webSocketTransport } from '@org/realtime-transport-ws/server'
import { describe, expect, it } from 'vitest'
import { connectedClient, until } from '../../../test/support.js'
import { RawHttpPeer } from '../../../test/raw-http-peer.js'

/** A server on every transport with short session timeouts, and handles on its HTTP transports. */
async function setup(options: { maxPayload?: number; origins?: string[] } = {}) {
  const sse = sseTransport({ sessionTimeoutMs: 200 })
  const polling = pollingTransport({ holdMs: 500, sessionTimeoutMs: 200 })
  const rt = new RealtimeServer({ transports: [webSocketTransport(), sse, polling], ...options })
  rt.on('connection', (conn) => conn.on('echo', (data) => data))
  const port = await rt.listen(0, { host: '127.0.0.1' })
  const url = `http://127.0.0.1:${port}/realtime`
  return { rt, url, sse, polling, close: () => rt.close() }
}

async function errorOf(response: Response): Promise<{ status: number; code: string }> {
  const body = (await response.json()) as { code: string; message: string }
  expect(body.message.length).toBeGreaterThan(0)
  return { status: response.status, code: body.code }
}

describe.each(['sse', 'polling'] as const)('bad HTTP requests to the %s transport', (transport) => {
  it('answers an unknown session id with 404 UNKNOWN_SESSION', async () => {
    const { url, close } = await setup()
    try {
      for (const method of ['GET', 'POST', 'DELETE']) {
        const response = await fetch(`${url}?transport=${transport}&sid=${transport}_nope`, { method, ...(method === 'POST' ? { body: '{"t":"pong"}' } : {}) })
        expect(await errorOf(response)).toEqual({ status: 404, code: ErrorCode.UnknownSession })
      }
    } finally {
      await close()
    }
  })

  it('answers a session of the other HTTP transport with 409 TRANSPORT_MISMATCH', async () => {
    const { url, close } = await setup()
    const other = transport === 'sse' ? 'polling' : 'sse'
    const peer = await RawHttpPeer.open(url, other)
    try {
      const sid = new URL(peer.sessionUrl).searchParams.get('sid')
      const response = await fetch(`${url}?transport=${transport}&sid=${sid}`, { method: 'POST', body: '{"t":"pong"}' })
      expect(await errorOf(response)).toEqual({ status: 409, code: ErrorCode.TransportMismatch })
    } finally {
      peer.terminate()
      await close()
    }
  })

  it('answers a POST body over maxPayload with 413 and closes the connection with 1009', async () => {
    const { url, close } = await setup({ maxPayload: 1024 })
    const peer = await RawHttpPeer.open(url, transport)
    try {
      await peer.handshake()
      const response = await peer.post(JSON.stringify({ t: 'event', e: 'echo', d: 'x'.repeat(2000) }))
      expect(await errorOf(response)).toEqual({ status: 413, code: ErrorCode.PayloadTooLarge })
      expect((await peer.closed).code).toBe(1009)
    } finally {
      peer.terminate()
      await close()
    }
  })

  it('answers a body that is not UTF-8 with 400 BAD_FRAME', async () => {
    const { url, close } = await setup()
    const peer = await RawHttpPeer.open(url, transport)
    try {
      const response = await peer.post(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))
      expect(await errorOf(response)).toEqual({ status: 400, code: ErrorCode.BadFrame })
    } finally {
      peer.terminate()
      await close()
    }
  })

  it('decodes every line of a batch on its own: bad lines get error frames, good ones are served', async () => {
    const { url, close } = await setup()
    const peer = await RawHttpPeer.open(url, transport)
    try {
      await peer.handshake()
      const response = await peer.send(['{"t":"event","e":"echo","d":1,"id":1}', 'not json', '{"t":"teleport"}', '{"t":"event","e":"echo","d":2,"id":2}'].join('\n'))
      expect(response.status).toBe(204)
      await peer.next((frame) => frame.t === 'ack' && frame.id === 2)
      // The echo handler answers synchronously, so every line is answered in order.
      const answers = peer.frames.filter((frame) => frame.t !== 'welcome' && frame.t !== 'ping').map((frame) => frame.code ?? frame.d)
      expect(answers).toEqual([1, ErrorCode.BadFrame, ErrorCode.UnknownFrame, 2])
    } finally {
      peer.terminate()
      await close()
    }
  })

  it('refuses a second POST while one is in flight with 409 REQUEST_IN_FLIGHT, without harm', async () => {
    const { url, close } = await setup()
    const peer = await RawHttpPeer.open(url, transport)
    try {
      await peer.handshake()
      // A body that is still arriving keeps the first POST in flight.
      let finishBody!: () => void
      const slowBody = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"t":"event","e":"echo","d":"slow","id":1}'))
          finishBody = () => controller.close()
        },
      })
      const first = fetch(peer.sessionUrl, { method: 'POST', body: slowBody, headers: peer.headers, duplex: 'half' } as RequestInit)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(await errorOf(await peer.post('{"t":"event","e":"echo","d":"fast","id":2}'))).toEqual({ status: 409, code: ErrorCode.RequestInFlight })
      finishBody()
      expect((await first).status).toBe(204)
      expect(await peer.next((frame) => frame.t === 'ack')).toEqual({ t: 'ack', id: 1, d: 'slow' })
    } finally {
      peer.terminate()
      await close()
    }
  })

  it('refuses a request from an origin outside the allow-list with 403, and answers allowed ones with CORS headers', async () => {
    const { url, close } = await setup({ origins: ['https://app.example'] })
    try {
      const refused = await fetch(`${url}?transport=${transport}`, { headers: { origin: 'https://evil.example' } })
      expect(await errorOf(refused)).toEqual({ status: 403, code: ErrorCode.Forbidden })
      const preflight = await fetch(`${url}?transport=${transport}&sid=${transport}_x`, { method: 'OPTIONS', headers: { origin: 'https://app.example' } })
      expect(preflight.status).toBe(204)
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example')
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')
      const aborted = new AbortController()
      const allowed = await fetch(`${url}?transport=${transport}`, { headers: { origin: 'https://app.example' }, signal: aborted.signal })
      expect(allowed.status).toBe(200)
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example')
      aborted.abort()
    } finally {
      await close()
    }
  })

  it('frees sessions whose client vanished: the session count returns to zero', async () => {
    const { url, sse, polling, rt, close } = await setup()
    const sessions = transport === 'sse' ? sse : polling
    try {
      const peers = await Promise.all(Array.from({ length: 5 }, () => RawHttpPeer.open(url, transport)))
      await Promise.all(peers.map((peer) => peer.handshake()))
      expect(sessions.sessionCount).toBe(5)
      expect(rt.connections.size).toBe(5)
      for (const peer of peers) peer.terminate()
      await until(() => sessions.sessionCount === 0 && rt.connections.size === 0, 5000, 'sessions to expire')
    } finally {
      await close()
    }
  })

  it('frees the session of a client that disconnects', async () => {
    const { url, sse, polling, close } = await setup()
    const sessions = transport === 'sse' ? sse : polling
    try {
      const client = await connectedClient(url, { transports: [transport] })
      expect(sessions.sessionCount).toBe(1)
      client.disconnect()
      await until(() => sessions.sessionCount === 0, 2000, 'the DELETE')
    } finally {
      await close()
    }
  })
})

describe('HTTP requests no transport claims', () => {
  it('answers a plain GET of the path with 400 BAD_REQUEST', async () => {
    const { url, close } = await setup()
    try {
      expect(await errorOf(await fetch(url))).toEqual({ status: 400, code: ErrorCode.BadRequest })
      expect(await errorOf(await fetch(`${url}?transport=sse`, { method: 'POST', body: 'x' }))).toEqual({ status: 400, code: ErrorCode.BadRequest })
    } finally {
      await close()
    }
  })

  it('refuses a WebSocket upgrade from an origin outside the allow-list', async () => {
    const { url, close } = await setup({ origins: ['https://app.example'] })
    const { default: WebSocket } = await import('ws')
    try {
      const ws = new WebSocket(url.replace('http', 'ws'), { origin: 'https://evil.example' })
      const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)).once('error', () => resolve(-1)))
      expect(status).toBe(403)
      const allowed = new WebSocket(url.replace('http', 'ws'), { origin: 'https://app.example' })
      await new Promise((resolve, reject) => allowed.once('open', resolve).once('error', reject))
      allowed.terminate()
    } finally {
      await close()
    }
  })
})
