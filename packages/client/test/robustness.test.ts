import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { ErrorCode, type RealtimeError } from '@org/realtime-core'
import { RealtimeServer, type Connection } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { allServerTransports, collect, connectedClient, createClient, describeTransports, once, startServer, until } from '../../../test/support.js'

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))
  return port
}

describeTransports('client robustness', () => {
  it('keeps a queued emitWithAck across failed connection attempts until a server answers', async () => {
    const port = await freePort()
    const client = createClient(`http://127.0.0.1:${port}/realtime`, { reconnection: { initialDelayMs: 10, maxDelayMs: 20 } })
    const answered = client.emitWithAck('note', 'queued', { timeoutMs: 10_000 })
    const attempts = collect(client.lifecycle, 'reconnecting')
    await until(() => attempts.length >= 2, 3000, 'two failed attempts')
    const rt = new RealtimeServer({ transports: allServerTransports() })
    rt.on('connection', (conn) => conn.on('note', (data) => `got ${String(data)}`))
    await rt.listen(port, { host: '127.0.0.1' })
    try {
      await expect(answered).resolves.toBe('got queued')
    } finally {
      client.disconnect()
      await rt.close()
    }
  })

  it('answers the server with INVALID_PAYLOAD when a listener returns something that cannot be encoded', async () => {
    const { rt, url } = await startServer()
    const connected = once<Connection>(rt, 'connection')
    const client = await connectedClient(url)
    client.on('question', () => 10n)
    const conn = await connected
    await expect(conn.emitWithAck('question')).rejects.toMatchObject({ code: ErrorCode.InvalidPayload })
  })

  it('reports credentials that cannot be encoded and stops', async () => {
    const { url } = await startServer()
    const client = createClient(url, { auth: { token: 10n } })
    const error: RealtimeError = await once(client.lifecycle, 'error')
    expect(error.code).toBe(ErrorCode.InvalidPayload)
    expect(client.state).toBe('disconnected')
  })

  it('refuses invalid event and channel names before sending', async () => {
    const { url } = await startServer()
    const client = await connectedClient(url)
    expect(() => client.emit('')).toThrowError(expect.objectContaining({ code: ErrorCode.BadFrame }))
    expect(() => client.emit('x'.repeat(257))).toThrowError(expect.objectContaining({ code: ErrorCode.BadFrame }))
    expect(() => client.channel('')).toThrowError(expect.objectContaining({ code: ErrorCode.BadFrame }))
    await expect(client.emitWithAck('')).rejects.toMatchObject({ code: ErrorCode.BadFrame })
  })

  it('restores more channels than fit in one frame after a reconnect', async () => {
    // A sub costs one frame per channel it adds: the burst must cover every channel a client restores.
    const { rt, url } = await startServer({ recovery: false, authorize: () => true, rateLimit: { subscriptionsPerConnection: 300, burst: 300 } })
    const client = await connectedClient(url)
    const names = Array.from({ length: 250 }, (_, index) => `ch:${index}`)
    await Promise.all(names.map((name) => client.channel(name).subscribe()))
    const next = once<Connection>(rt, 'connection')
    for (const conn of rt.connections.values()) conn.terminate()
    const conn = await next
    await until(() => names.every((name) => client.channel(name).state === 'subscribed'), 3000, 'all 250 confirmations')
    expect(conn.rooms.size).toBe(250)
  })

  it('reports a handshake timeout as an error and tries again', async () => {
    const { url } = await startServer({ handshakeTimeoutMs: 300 })
    let calls = 0
    const client = createClient(url, {
      auth: () => (++calls === 1 ? new Promise((resolve) => setTimeout(() => resolve('late'), 1000)) : 'prompt'),
    })
    const error: RealtimeError = await once(client.lifecycle, 'error')
    expect(error.code).toBe(ErrorCode.HandshakeTimeout)
    await once(client.lifecycle, 'connect')
    expect(calls).toBeGreaterThanOrEqual(2)
  })
})

describe('client robustness against a server that sends odd frames', () => {
  it('reports a frame that is not a JSON object, skips one of an unknown type, and keeps receiving', async () => {
    // A server that welcomes the client as it connects (its hello is in the URL), then sends
    // garbage, a JSON value that is no frame, a frame type from a later version, and an event.
    const http = createHttpServer()
    const wss = new WebSocketServer({ server: http })
    wss.on('connection', (ws) => {
      ws.send(JSON.stringify({ t: 'welcome', v: 1, sid: 's1', pingInterval: 5000, pingTimeout: 5000, maxPayload: 1000 }))
      ws.send('not json')
      ws.send('42')
      ws.send('{"t":"teleport","to":"mars"}')
      ws.send('{"t":"event","e":"news","d":1}')
    })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    try {
      const client = createClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}/realtime`)
      const errors = collect<RealtimeError>(client.lifecycle, 'error')
      const news = await once(client, 'news')
      expect(news).toBe(1)
      expect(errors.map((error) => error.code)).toEqual([ErrorCode.BadFrame, ErrorCode.BadFrame])
      expect(client.connected).toBe(true)
      client.disconnect()
    } finally {
      for (const ws of wss.clients) ws.terminate()
      wss.close()
      await new Promise((resolve) => http.close(resolve))
    }
  })
})
