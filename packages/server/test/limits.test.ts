import { CloseCode, ErrorCode, type RealtimeError } from '@org/realtime-core'
import type { RealtimeServer, RealtimeServerOptions } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { RawHttpPeer } from '../../../test/raw-http-peer.js'
import { collect, connectedClient, createClient, describeTransports, once, rawPeer, rawSocket, startServer, until } from '../../../test/support.js'

/** A server with an echo handler and `options`, plus a well-behaved client that must keep working. */
async function setup(options: RealtimeServerOptions<Record<string, any>> = {}) {
  const server = await startServer({ authorize: () => true, ...options })
  server.rt.on('connection', (conn) => conn.on('echo', (data) => data))
  const bystander = await connectedClient(server.url)
  const stillServed = async (): Promise<void> => {
    await expect(bystander.emitWithAck('echo', 'fine')).resolves.toBe('fine')
  }
  return { ...server, bystander, stillServed }
}

describeTransports('rate limits', () => {
  it('refuses frames over messagesPerSecond with RATE_LIMITED and retryAfterMs, unprocessed', async () => {
    const { rt, port, stillServed } = await setup({ rateLimit: { messagesPerSecond: 5, burst: 5 } })
    let handled = 0
    rt.on('connection', (conn) => conn.on('count', () => handled++))
    const raw = await rawPeer(port)
    await raw.handshake()
    for (let n = 0; n < 8; n++) raw.send({ t: 'event', e: 'count' })
    raw.send({ t: 'event', e: 'count', id: 1 })
    const ack = await raw.next((frame) => frame.t === 'ack')
    expect(ack).toMatchObject({ id: 1, err: { code: ErrorCode.RateLimited, retryAfterMs: expect.any(Number) } })
    expect(ack.err.retryAfterMs).toBeGreaterThan(0)
    const errors = raw.frames.filter((frame) => frame.t === 'error')
    expect(errors).toHaveLength(3)
    expect(errors[0]).toMatchObject({ code: ErrorCode.RateLimited, retryAfterMs: expect.any(Number) })
    expect(handled).toBe(5)
    await stillServed()
  })

  it('charges each event its eventCost', async () => {
    const { rt, port } = await setup({ rateLimit: { messagesPerSecond: 1, burst: 2, eventCost: { typing: 0.1 } } })
    let typed = 0
    rt.on('connection', (conn) =>
      conn.on('typing', () => {
        typed++
      }),
    )
    const raw = await rawPeer(port)
    await raw.handshake()
    for (let n = 0; n < 15; n++) raw.send({ t: 'event', e: 'typing' })
    raw.send({ t: 'event', e: 'typing', id: 1 })
    expect(await raw.next((frame) => frame.t === 'ack')).toEqual({ t: 'ack', id: 1 })
    expect(typed).toBe(16)
    expect(raw.frames.filter((frame) => frame.t === 'error')).toEqual([])
  })

  it('refuses frames over bytesPerSecond', async () => {
    const { port, stillServed } = await setup({ rateLimit: { bytesPerSecond: 100, bytesBurst: 2500 } })
    const raw = await rawPeer(port)
    await raw.handshake()
    for (let n = 1; n <= 3; n++) raw.send({ t: 'event', e: 'echo', d: 'x'.repeat(1000), id: n })
    expect(await raw.next((frame) => frame.t === 'ack' && frame.id === 3)).toMatchObject({ err: { code: ErrorCode.RateLimited } })
    expect(raw.frames.filter((frame) => frame.t === 'ack' && frame.err === undefined).map((frame) => frame.id).sort()).toEqual([1, 2])
    await stillServed()
  })

  it('answers a refused ack with an error frame, never with an ack the client could take for its own', async () => {
    const { rt, port } = await setup({ rateLimit: { bytesPerSecond: 10, bytesBurst: 200 } })
    const raw = await rawPeer(port)
    const connected = once(rt, 'connection')
    await raw.handshake()
    const conn = await connected
    const question = conn.emitWithAck('question', null, { timeoutMs: 5000 })
    const asked = await raw.next((frame) => frame.t === 'event' && frame.e === 'question')
    raw.send({ t: 'ack', id: asked.id, d: 'x'.repeat(500) })
    expect(await raw.next((frame) => frame.t === 'error')).toMatchObject({ code: ErrorCode.RateLimited })
    expect(raw.frames.filter((frame) => frame.t === 'ack')).toEqual([])
    conn.disconnect()
    await expect(question).rejects.toMatchObject({ code: ErrorCode.Disconnected })
  })

  it('closes a connection that keeps pushing past its limits with 4429', async () => {
    const { rt, port, stillServed } = await setup({ rateLimit: { messagesPerSecond: 1, burst: 1, abuseTolerance: 5 } })
    const raw = await rawPeer(port)
    await raw.handshake()
    const disconnected = new Promise<number>((resolve) => rt.once('disconnect', (_conn, info) => resolve(info.code)))
    for (let n = 0; n < 10; n++) raw.send({ t: 'event', e: 'echo' })
    expect((await raw.closed).code).toBe(CloseCode.RateLimited)
    expect(await disconnected).toBe(CloseCode.RateLimited)
    await stillServed()
  })

  it('refuses subscriptions past subscriptionsPerConnection with LIMIT_EXCEEDED', async () => {
    const { url } = await setup({ rateLimit: { subscriptionsPerConnection: 2 } })
    const client = await connectedClient(url)
    await Promise.all([client.channel('a').subscribe(), client.channel('b').subscribe()])
    await expect(client.channel('c').subscribe()).rejects.toMatchObject({ code: ErrorCode.LimitExceeded })
    await expect(client.channel('a').subscribe()).resolves.toEqual({ recovered: true })
  })

  it('refuses connections past connectionsPerIp with LIMIT_EXCEEDED and 4429, and admits again once one closes', async () => {
    const { url, stillServed } = await setup({ rateLimit: { connectionsPerIp: 2 } })
    const second = await connectedClient(url)
    const third = createClient(url)
    const error: RealtimeError = await once(third.lifecycle, 'error')
    expect(error.code).toBe(ErrorCode.LimitExceeded)
    third.disconnect()
    await stillServed()
    second.disconnect()
    const again = await connectedClient(url)
    expect(again.connected).toBe(true)
  })

  it('refuses handshakes past handshakesPerSecondPerIp with RATE_LIMITED and 4429, and the client backs off', async () => {
    const { url, stillServed } = await setup({ rateLimit: { handshakesPerSecondPerIp: 1, handshakeBurstPerIp: 2 } })
    const second = await connectedClient(url)
    const third = createClient(url, { reconnection: { initialDelayMs: 50, maxDelayMs: 50 } })
    const reconnecting = collect(third.lifecycle, 'reconnecting')
    const error: RealtimeError = await once(third.lifecycle, 'error')
    expect(error.code).toBe(ErrorCode.RateLimited)
    await until(() => reconnecting.length > 0, 2000, 'a reconnection attempt')
    expect(reconnecting[0]).toMatchObject({ attempt: 1 })
    await stillServed()
    expect(second.connected).toBe(true)
  })

  it('turns every limit off with rateLimit: false', async () => {
    const { rt, port } = await setup({ rateLimit: false })
    let handled = 0
    rt.on('connection', (conn) => conn.on('count', () => handled++))
    const raw = await rawPeer(port)
    await raw.handshake()
    for (let n = 0; n < 300; n++) raw.send({ t: 'event', e: 'count' })
    raw.send({ t: 'event', e: 'count', id: 1 })
    await raw.next((frame) => frame.t === 'ack')
    expect(handled).toBe(301)
    expect(raw.frames.filter((frame) => frame.t === 'error')).toEqual([])
  })

  it('makes the client hold its frames for retryAfterMs instead of hammering', async () => {
    const { rt, url } = await setup({ rateLimit: { messagesPerSecond: 10, burst: 3 } })
    const notes: unknown[] = []
    rt.on('connection', (conn) => conn.on('note', (data) => notes.push(data)))
    const client = await connectedClient(url)
    const errors = collect<RealtimeError>(client.lifecycle, 'error')
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => client.emitWithAck('note', n)))
    const refused = results.filter((result) => result.status === 'rejected').map((result) => (result as PromiseRejectedResult).reason as RealtimeError)
    expect(refused.map((error) => error.code)).toEqual([ErrorCode.RateLimited])
    expect(refused[0]!.retryAfterMs).toBeGreaterThan(0)
    const refusedAt = Date.now()
    await client.emitWithAck('note', 'held')
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(refused[0]!.retryAfterMs! - 20)
    expect(notes).toEqual([1, 2, 3, 'held'])
    expect(errors).toEqual([])
  })
})

/**
 * Broadcasts 16 KiB messages to room `bulk`, one per event-loop turn, until `stop` settles or 5,000
 * were sent; resolves with how many were sent.
 */
function broadcastUntil(rt: RealtimeServer, stop: Promise<unknown>): Promise<number> {
  const payload = 'x'.repeat(16 * 1024)
  let sent = 0
  let stopped = false
  return new Promise((resolve) => {
    void stop.then(() => {
      stopped = true
      resolve(sent)
    })
    const pump = (): void => {
      if (stopped) return
      if (sent >= 5000) return resolve(sent)
      rt.to('bulk').emit('bulk', payload)
      sent++
      setImmediate(pump)
    }
    pump()
  })
}

describe('slow consumers', () => {
  it('disconnects a client that stops reading before its queue outgrows maxBufferedBytes, while others keep receiving', async () => {
    // The history keeps each message's JSON (16 KB here, up to 16 MB for 1,000): not what this measures.
    const recovery = { historySize: 10 }
    const { rt, port, url } = await startServer({ authorize: () => true, maxBufferedBytes: 1024 * 1024, closeTimeoutMs: 200, recovery })
    rt.on('connection', (conn) => conn.join('bulk'))
    const reader = await connectedClient(url)
    const received = collect(reader.channel('bulk'), 'bulk')
    const raw = await rawSocket(port)
    await raw.handshake()
    const disconnected = new Promise<number>((resolve) => rt.on('disconnect', (conn, info) => conn.id !== reader.id && resolve(info.code)))
    // Stop reading: the kernel buffers fill, then the server's send queue grows.
    ;(raw.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    const heapBefore = process.memoryUsage().heapUsed
    const sent = await broadcastUntil(rt, disconnected)
    expect(await disconnected).toBe(CloseCode.SlowConsumer)
    expect(sent).toBeLessThan(5000)
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024)
    await until(() => received.length === sent, 10_000, 'the reading client to get every message')
  })
})

describe('slow consumers over SSE', () => {
  it('disconnects an event stream nobody reads, through the backpressure of the HTTP response', async () => {
    const { rt, url } = await startServer({ authorize: () => true, maxBufferedBytes: 1024 * 1024, closeTimeoutMs: 200 })
    rt.on('connection', (conn) => conn.join('bulk'))
    const peer = await RawHttpPeer.open(url, 'sse', { read: false })
    await peer.send({ t: 'hello', v: 1 })
    const disconnected = new Promise<number>((resolve) => rt.on('disconnect', (_conn, info) => resolve(info.code)))
    await until(() => rt.connections.size === 1, 2000, 'the handshake')
    const sent = await broadcastUntil(rt, disconnected)
    expect(await disconnected).toBe(CloseCode.SlowConsumer)
    expect(sent).toBeLessThan(5000)
    peer.terminate()
  })
})
