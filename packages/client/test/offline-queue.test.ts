import { ErrorCode, type RealtimeError } from '@org/realtime-core'
import type { Connection } from '@org/realtime-server'
import { expect, it } from 'vitest'
import { collect, connectedClient, createClient, describeTransports, once, startServer, until } from '../../../test/support.js'

/** A server that records every `note` it receives and acknowledges it. */
async function recordingServer() {
  const server = await startServer()
  const notes: unknown[] = []
  server.rt.on('connection', (conn) =>
    conn.on('note', (data) => {
      notes.push(data)
      return `got ${String(data)}`
    }),
  )
  return { ...server, notes }
}

describeTransports('offline queue', () => {
  it('sends emits made before the first connection, in order, once connected', async () => {
    const { url, notes } = await recordingServer()
    const client = createClient(url, { autoConnect: false })
    client.emit('note', 1)
    const acked = client.emitWithAck('note', 2)
    client.emit('note', 3)
    client.connect()
    await expect(acked).resolves.toBe('got 2')
    await until(() => notes.length === 3, 2000, 'three notes')
    expect(notes).toEqual([1, 2, 3])
  })

  it('holds emits made while reconnecting and sends them after the reconnect', async () => {
    const { rt, url, notes } = await recordingServer()
    const client = await connectedClient(url, { reconnection: { initialDelayMs: 50, maxDelayMs: 50 } })
    const reconnecting = once(client.lifecycle, 'reconnecting')
    for (const conn of rt.connections.values()) conn.terminate()
    await reconnecting
    expect(client.state).toBe('reconnecting')
    client.emit('note', 'a')
    client.emit('note', 'b')
    await expect(client.emitWithAck('note', 'c')).resolves.toBe('got c')
    expect(notes).toEqual(['a', 'b', 'c'])
  })

  it('lets connect listeners restore state before the queued emits go out', async () => {
    const { url, notes } = await recordingServer()
    const client = createClient(url, { autoConnect: false })
    client.lifecycle.on('connect', () => client.emit('note', 'restore'))
    client.emit('note', 'queued')
    client.connect()
    await until(() => notes.length === 2, 2000, 'two notes')
    expect(notes).toEqual(['restore', 'queued'])
  })

  it('refuses a new emit with QUEUE_FULL when full and the policy is reject', async () => {
    const { url, notes } = await recordingServer()
    const client = createClient(url, { autoConnect: false, offlineQueue: { maxSize: 2 } })
    client.emit('note', 1)
    client.emit('note', 2)
    expect(() => client.emit('note', 3)).toThrowError(expect.objectContaining({ code: ErrorCode.QueueFull }))
    await expect(client.emitWithAck('note', 4)).rejects.toMatchObject({ code: ErrorCode.QueueFull })
    client.connect()
    await until(() => notes.length === 2, 2000, 'two notes')
    expect(notes).toEqual([1, 2])
  })

  it('drops the oldest frame when full and the policy is drop-oldest, and says so', async () => {
    const { url, notes } = await recordingServer()
    const client = createClient(url, { autoConnect: false, offlineQueue: { maxSize: 2, overflow: 'drop-oldest' } })
    const errors = collect<RealtimeError>(client.lifecycle, 'error')
    const oldest = client.emitWithAck('note', 1)
    client.emit('note', 2)
    client.emit('note', 3)
    client.emit('note', 4)
    await expect(oldest).rejects.toMatchObject({ code: ErrorCode.QueueFull })
    expect(errors.map((error) => error.code)).toEqual([ErrorCode.QueueFull])
    client.connect()
    await until(() => notes.length === 2, 2000, 'two notes')
    expect(notes).toEqual([3, 4])
  })

  it('removes a queued emitWithAck that timed out, so it is never sent', async () => {
    const { url, notes } = await recordingServer()
    const client = createClient(url, { autoConnect: false })
    await expect(client.emitWithAck('note', 'late', { timeoutMs: 20 })).rejects.toMatchObject({ code: ErrorCode.Timeout })
    client.connect()
    await expect(client.emitWithAck('note', 'fresh')).resolves.toBe('got fresh')
    expect(notes).toEqual(['fresh'])
  })

  it('rejects queued acks with CLOSED on an explicit disconnect()', async () => {
    const { url } = await recordingServer()
    const client = createClient(url, { autoConnect: false })
    const queued = client.emitWithAck('note', 1)
    client.disconnect()
    await expect(queued).rejects.toMatchObject({ code: ErrorCode.Closed })
  })

  it('sends straight away when connected, without queueing', async () => {
    const { rt, url } = await recordingServer()
    const connected = once<Connection>(rt, 'connection')
    const client = await connectedClient(url)
    const conn = await connected
    const received = new Promise((resolve) => conn.on('direct', resolve))
    client.emit('direct', 'now')
    expect(await received).toBe('now')
  })
})
