import { ErrorCode } from '@org/realtime-core'
import { RealtimeClient } from '@org/realtime-client'
import { RealtimeServer, type Connection } from '@org/realtime-server'
import { pollingTransport as pollingClient } from '@org/realtime-transport-polling/client'
import { pollingTransport } from '@org/realtime-transport-polling/server'
import { describe, expect, it } from 'vitest'
import { once } from '../../../test/support.js'

async function setup(options: Parameters<typeof pollingTransport>[0] = {}) {
  const rt = new RealtimeServer({ transports: [pollingTransport(options)] })
  const port = await rt.listen(0, { host: '127.0.0.1' })
  const url = `http://127.0.0.1:${port}/realtime`
  const { sid, key, holdMs } = (await (await fetch(`${url}?transport=polling`)).json()) as { sid: string; key: string; holdMs: number }
  const sessionUrl = `${url}?transport=polling&sid=${sid}`
  const headers = { 'x-realtime-key': key }
  /** A request of the session's client, with its key. */
  const request = (init: RequestInit = {}) => fetch(sessionUrl, { ...init, headers })
  const connected = once<Connection>(rt, 'connection')
  await request({ method: 'POST', body: '{"t":"hello","v":1}' })
  const conn = await connected
  const welcome = await (await request()).text()
  expect(JSON.parse(welcome)).toMatchObject({ t: 'welcome' })
  return { rt, url, sid, key, holdMs, sessionUrl, request, conn }
}

describe('long-polling transport', () => {
  it('opens a session with its id and hold time', async () => {
    const { rt, sid, key, holdMs } = await setup({ holdMs: 1234 })
    try {
      expect(sid).toMatch(/^polling_[0-9a-f]{30}$/)
      expect(key).toMatch(/^[0-9a-f]{32}$/)
      expect(holdMs).toBe(1234)
    } finally {
      await rt.close()
    }
  })

  it('batches the frames sent in one tick into one response, one frame per line', async () => {
    const { rt, conn, request } = await setup()
    try {
      const poll = request()
      await new Promise((resolve) => setTimeout(resolve, 20))
      for (let n = 1; n <= 3; n++) conn.emit('n', n)
      const lines = (await (await poll).text()).split('\n').map((line) => JSON.parse(line))
      expect(lines).toEqual([1, 2, 3].map((d) => ({ t: 'event', e: 'n', d })))
    } finally {
      await rt.close()
    }
  })

  it('holds an empty poll for holdMs, then answers with an empty body', async () => {
    const { rt, request } = await setup({ holdMs: 150 })
    try {
      const started = Date.now()
      const response = await request()
      expect(await response.text()).toBe('')
      expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    } finally {
      await rt.close()
    }
  })

  it('refuses a second poll while one is held with 409 REQUEST_IN_FLIGHT, and keeps the first', async () => {
    const { rt, conn, request } = await setup()
    try {
      const first = request()
      await new Promise((resolve) => setTimeout(resolve, 20))
      const second = await request()
      expect(second.status).toBe(409)
      expect(((await second.json()) as { code: string }).code).toBe(ErrorCode.RequestInFlight)
      conn.emit('still', 'here')
      expect(JSON.parse(await (await first).text())).toEqual({ t: 'event', e: 'still', d: 'here' })
    } finally {
      await rt.close()
    }
  })

  it('carries the close in the x-realtime-close header of the last response', async () => {
    const { rt, conn, request } = await setup()
    try {
      conn.disconnect(4403, 'kicked out')
      const response = await request()
      expect(response.headers.get('x-realtime-close')).toBe('4403 kicked%20out')
      expect((await request()).status).toBe(404)
    } finally {
      await rt.close()
    }
  })

  it('lets pages of an allowed origin send the session key: preflights allow x-realtime-key', async () => {
    const rt = new RealtimeServer({ transports: [pollingTransport()], origins: ['https://app.example'] })
    const port = await rt.listen(0, { host: '127.0.0.1' })
    try {
      const preflight = await fetch(`http://127.0.0.1:${port}/realtime?transport=polling&sid=polling_x`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-realtime-key' },
      })
      expect(preflight.status).toBe(204)
      expect(preflight.headers.get('access-control-allow-headers')?.split(', ')).toContain('x-realtime-key')
    } finally {
      await rt.close()
    }
  })

  it('carries a client through a real connection', async () => {
    const rt = new RealtimeServer({ transports: [pollingTransport()] })
    rt.on('connection', (conn) => conn.on('echo', (data) => data))
    const port = await rt.listen(0, { host: '127.0.0.1' })
    const client = new RealtimeClient(`http://127.0.0.1:${port}/realtime`, { transports: [pollingClient()] })
    try {
      await once(client.lifecycle, 'connect')
      const results = await Promise.all(Array.from({ length: 20 }, (_, n) => client.emitWithAck('echo', n)))
      expect(results).toEqual(Array.from({ length: 20 }, (_, n) => n))
    } finally {
      client.disconnect()
      await rt.close()
    }
  })
})
