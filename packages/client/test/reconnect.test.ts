import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import { ErrorCode, type RealtimeError } from '@org/realtime-core'
import { RealtimeClient, type DisconnectEvent, type ReconnectingEvent } from '@org/realtime-client'
import type { Connection } from '@org/realtime-server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { allServerTransports, collect, connectedClient, createClient, describeTransports, once, startServer, until } from '../../../test/support.js'

/** A TCP server that counts connections and drops each at once, so every attempt fails. */
async function refusingServer(): Promise<{ server: Server; port: number; attempts: () => number }> {
  let attempts = 0
  const server = createServer((socket) => {
    attempts++
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port, attempts: () => attempts }
}

/** Waits on real I/O (not the faked timers) until `condition` holds: at most 2 s and 100,000 turns. */
async function settle(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 2000
  for (let turn = 0; turn < 100_000 && performance.now() < deadline; turn++) {
    if (condition()) return
    await new Promise((resolve) => setImmediate(resolve))
  }
  throw new Error(`never reached: ${what}`)
}

describe('reconnection backoff', () => {
  afterEach(() => {
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it('backs off exponentially, caps the delay, and applies jitter after the cap', async () => {
    const { server, port, attempts } = await refusingServer()
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const client = new RealtimeClient(`http://127.0.0.1:${port}/realtime`, {
      reconnection: { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5, maxAttempts: 6 },
      connectTimeoutMs: 60_000,
    })
    const reconnecting = collect<ReconnectingEvent>(client.lifecycle, 'reconnecting')
    const errors = collect<RealtimeError>(client.lifecycle, 'error')
    try {
      // delay = min(1000, 100 * 2^(n-1)) * (1 - 0.5 * random())
      const expected = [75, 150, 300, 600, 750, 750]
      for (const [index, delayMs] of expected.entries()) {
        await settle(() => reconnecting.length === index + 1, `reconnecting #${index + 1}`)
        expect(reconnecting[index]).toEqual({ attempt: index + 1, delayMs })
        expect(attempts()).toBe(index + 1)
        vi.advanceTimersByTime(delayMs - 1)
        for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve))
        expect(attempts()).toBe(index + 1)
        vi.advanceTimersByTime(1)
      }
      await settle(() => errors.length === 1, 'giving up')
      expect(errors[0]).toMatchObject({ code: ErrorCode.TransportError })
      expect(client.state).toBe('disconnected')
      expect(attempts()).toBe(7)
    } finally {
      client.disconnect()
      server.close()
    }
  })
})

describeTransports('reconnection', () => {
  it('does not reconnect after an explicit disconnect()', async () => {
    const { rt, url } = await startServer()
    const connections = collect(rt, 'connection')
    const client = await connectedClient(url)
    const reconnecting = collect(client.lifecycle, 'reconnecting')
    const disconnected = once<DisconnectEvent>(client.lifecycle, 'disconnect')
    client.disconnect()
    expect(await disconnected).toEqual({ reason: 'client', code: 1000, willReconnect: false })
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(reconnecting).toEqual([])
    expect(connections).toHaveLength(1)
    expect(client.state).toBe('disconnected')
  })

  it('does not reconnect when the server disconnects the client on purpose', async () => {
    const { rt, url } = await startServer()
    rt.on('connection', (conn) => conn.on('kick-me', () => conn.disconnect()))
    const client = await connectedClient(url)
    const reconnecting = collect(client.lifecycle, 'reconnecting')
    const disconnected = once<DisconnectEvent>(client.lifecycle, 'disconnect')
    client.emit('kick-me')
    expect(await disconnected).toEqual({ reason: 'server', code: 1000, willReconnect: false })
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(reconnecting).toEqual([])
  })

  it('reconnects after the server drops the socket and restores its channel subscriptions in a new session', async () => {
    const authorized: string[] = []
    const { rt, url } = await startServer({
      recovery: false,
      authorize: (_conn, channel, action) => {
        authorized.push(`${action}:${channel}`)
        return true
      },
    })
    const client = await connectedClient(url)
    const sessions = [client.id]
    await Promise.all([client.channel('room:1').subscribe(), client.channel('room:2').subscribe()])
    expect(client.channel('room:1').state).toBe('subscribed')
    const disconnected = once<DisconnectEvent>(client.lifecycle, 'disconnect')
    const reconnected = once(client.lifecycle, 'reconnect')
    const nextConnection = once<Connection>(rt, 'connection')
    for (const conn of rt.connections.values()) conn.terminate()
    expect(await disconnected).toEqual({ reason: 'transport-close', code: 1006, willReconnect: true })
    // Until the server confirms anew, the subscription does not hold, and subscribe() waits for it.
    expect(client.channel('room:1').state).toBe('subscribing')
    const confirmed = client.channel('room:1').subscribe()
    expect(await reconnected).toEqual({ attempts: 1, recovered: false })
    const conn = await nextConnection
    await confirmed
    expect(conn.rooms.has('room:1')).toBe(true)
    await until(() => conn.rooms.size === 2, 2000, 'resubscription')
    expect([...conn.rooms].sort()).toEqual(['room:1', 'room:2'])
    expect(authorized).toEqual(['subscribe:room:1', 'subscribe:room:2', 'subscribe:room:1', 'subscribe:room:2'])
    sessions.push(client.id)
    expect(sessions[1]).not.toBe(sessions[0])
    const news = once(client.channel('room:1'), 'news')
    rt.to('room:1').emit('news', 'after')
    expect(await news).toBe('after')
  })

  it('reconnects to a restarted server after close() with reason server-shutdown', async () => {
    const first = await startServer()
    const client = await connectedClient(first.url)
    const disconnected = once<DisconnectEvent>(client.lifecycle, 'disconnect')
    await first.rt.close()
    expect(await disconnected).toEqual({ reason: 'server-shutdown', code: 1001, willReconnect: true })
    const { RealtimeServer } = await import('@org/realtime-server')
    const second = new RealtimeServer({ transports: allServerTransports() })
    await second.listen(first.port, { host: '127.0.0.1' })
    try {
      await once(client.lifecycle, 'connect')
      expect(second.connections.size).toBe(1)
    } finally {
      client.disconnect()
      await second.close()
    }
  })

  it('gives up on an unreachable server after maxAttempts', async () => {
    const { server, port } = await refusingServer()
    try {
      const client = createClient(`http://127.0.0.1:${port}/realtime`, {
        reconnection: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 3 },
      })
      const error: RealtimeError = await once(client.lifecycle, 'error')
      expect(error.code).toBe(ErrorCode.TransportError)
      expect(client.state).toBe('disconnected')
    } finally {
      server.close()
    }
  })
})
