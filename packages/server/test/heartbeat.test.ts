import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DisconnectEvent } from '@org/realtime-client'
import type { DisconnectInfo } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { createClient, describeTransports, once, rawPeer, startServer } from '../../../test/support.js'

describeTransports('heartbeats', () => {
  it('pings a quiet peer, and keeps one that answers every ping', async () => {
    const { rt, port } = await startServer({ pingIntervalMs: 30, pingTimeoutMs: 60 })
    const raw = await rawPeer(port)
    raw.answerPings = true
    await raw.handshake()
    await raw.next(() => raw.frames.filter((frame) => frame.t === 'ping').length >= 5, 3000)
    expect(rt.connections.size).toBe(1)
  })

  it('pings a busy peer too, so its client hears from the server', async () => {
    const { port } = await startServer({ pingIntervalMs: 30, pingTimeoutMs: 30 })
    const raw = await rawPeer(port)
    await raw.handshake()
    const chatter = setInterval(() => raw.send({ t: 'pong' }), 5)
    try {
      await raw.next((frame) => frame.t === 'ping', 2000)
    } finally {
      clearInterval(chatter)
    }
  })

  it('drops a peer that stops answering after pingTimeoutMs', async () => {
    const { rt, port } = await startServer({ pingIntervalMs: 40, pingTimeoutMs: 40 })
    const raw = await rawPeer(port)
    const disconnected = new Promise<DisconnectInfo>((resolve) => rt.once('disconnect', (_conn, info) => resolve(info)))
    const started = Date.now()
    await raw.handshake()
    await raw.next((frame) => frame.t === 'ping')
    const info = await disconnected
    expect(info.code).toBe(1006)
    expect(Date.now() - started).toBeLessThan(2000)
    expect(rt.connections.size).toBe(0)
  })
})

describe('heartbeats over websocket', () => {
  it('lets the client detect a server that went silent, and reconnect', async () => {
    // A server that welcomes the client as it connects (its hello is in the URL), then never says
    // anything again.
    const http = createServer()
    const wss = new WebSocketServer({ server: http })
    let handshakes = 0
    wss.on('connection', (ws) => {
      handshakes++
      ws.send(JSON.stringify({ t: 'welcome', v: 1, sid: `s${handshakes}`, pingInterval: 30, pingTimeout: 30, maxPayload: 1000 }))
    })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    try {
      const client = createClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}/realtime`)
      await once(client.lifecycle, 'connect')
      const event: DisconnectEvent = await once(client.lifecycle, 'disconnect', 2000)
      expect(event).toEqual({ reason: 'heartbeat-timeout', code: 4000, willReconnect: true })
      await once(client.lifecycle, 'reconnect', 2000)
      expect(client.id).toBe('s2')
      client.disconnect()
    } finally {
      for (const ws of wss.clients) ws.terminate()
      wss.close()
      await new Promise((resolve) => http.close(resolve))
    }
  })
})
