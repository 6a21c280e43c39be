import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { ErrorCode, type ConnectErrorEvent, type RealtimeError } from '@org/realtime-client'
import { pollingTransport as pollingClient } from '@org/realtime-transport-polling/client'
import { pollingTransport } from '@org/realtime-transport-polling/server'
import { sseTransport as sseClient } from '@org/realtime-transport-sse/client'
import { webSocketTransport as webSocketClient } from '@org/realtime-transport-ws/client'
import { describe, expect, it } from 'vitest'
import { fetchFrom } from '../../../test/fetch-from-address.js'
import { collect, connectedClient, createClient, describeTransports, startServer, until } from '../../../test/support.js'
import { freePort } from '../../../test/free-port.js'

/** What a test compares of a `connect_error` event: all but the transport's wording. */
function outline({ transport, cause, status, willRetry }: ConnectErrorEvent): Partial<ConnectErrorEvent> {
  return { transport, cause, status, willRetry }
}


/** Listens on `server` on 127.0.0.1 and returns its port. */
async function listen(server: Server | HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

describe('connect errors', () => {
  it('reports the 404 of every transport at a wrong path and stops retrying with TRANSPORT_ERROR, while clients of the right path connect', async () => {
    const { url } = await startServer()
    const client = createClient(url.replace('/realtime', '/wrong'), { transports: [webSocketClient(), sseClient(), pollingClient()] })
    const failures = collect<ConnectErrorEvent>(client.lifecycle, 'connect_error')
    const errors = collect<RealtimeError>(client.lifecycle, 'error')
    const reconnecting = collect(client.lifecycle, 'reconnecting')
    await until(() => errors.length > 0, 5000, 'the error that ends the attempts')
    expect(failures.map(outline)).toEqual([
      { transport: 'websocket', cause: 'http-status', status: 404, willRetry: true },
      { transport: 'sse', cause: 'http-status', status: 404, willRetry: true },
      { transport: 'polling', cause: 'http-status', status: 404, willRetry: false },
    ])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: ErrorCode.TransportError, message: expect.stringContaining('HTTP 404 on every transport') })
    expect(reconnecting).toEqual([])
    expect(client.state).toBe('disconnected')
    // A bystander, from another address, connects to the right path.
    const bystander = await connectedClient(url, { transports: [pollingClient({ fetch: fetchFrom('127.0.0.2') })] })
    expect(bystander.connected).toBe(true)
  })

  it('falls back past a transport the server refuses with HTTP 400 and connects with the next one', async () => {
    // A server without the WebSocket transport answers an upgrade like any request without `transport`: 400.
    const { url } = await startServer({ transports: [pollingTransport()] })
    const client = createClient(url, { transports: [webSocketClient(), pollingClient()] })
    const failures = collect<ConnectErrorEvent>(client.lifecycle, 'connect_error')
    await until(() => client.connected, 5000, 'the polling connection')
    expect(failures.map(outline)).toEqual([{ transport: 'websocket', cause: 'http-status', status: 400, willRetry: true }])
    expect(client.transport).toBe('polling')
  })
})

describeTransports('connect errors', (transport) => {
  it('reports a refused connection with the transport tried, even when reconnection is off', async () => {
    const client = createClient(`http://127.0.0.1:${await freePort()}/realtime`, { reconnection: false })
    const failures = collect<ConnectErrorEvent>(client.lifecycle, 'connect_error')
    const errors = collect<RealtimeError>(client.lifecycle, 'error')
    await until(() => errors.length > 0, 5000, 'the error that ends the attempt')
    expect(failures.map(outline)).toEqual([{ transport: transport.name, cause: 'unreachable', status: undefined, willRetry: false }])
    expect(failures[0]?.code).toBe(1006)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: ErrorCode.TransportError, cause: failures[0] })
    expect(client.state).toBe('disconnected')
  })

  it('reports a server that never answers as a timeout of connectTimeoutMs', async () => {
    const sockets = new Set<Socket>()
    const silent = createServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => {})
    })
    const port = await listen(silent)
    try {
      // Before the constructor, which starts the attempt and its timer.
      const started = Date.now()
      const client = createClient(`http://127.0.0.1:${port}/realtime`, { reconnection: false, connectTimeoutMs: 200 })
      const failures = collect<ConnectErrorEvent>(client.lifecycle, 'connect_error')
      const errors = collect<RealtimeError>(client.lifecycle, 'error')
      await until(() => errors.length > 0, 5000, 'the error that ends the attempt')
      expect(Date.now() - started).toBeGreaterThanOrEqual(190)
      expect(failures.map(outline)).toEqual([{ transport: transport.name, cause: 'timeout', status: undefined, willRetry: false }])
      expect(errors[0]?.code).toBe(ErrorCode.TransportError)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  it('keeps retrying a server that answers 503, reporting the status of each attempt', async () => {
    const unavailable = createHttpServer((_request, response) => response.writeHead(503).end())
    const port = await listen(unavailable)
    try {
      const client = createClient(`http://127.0.0.1:${port}/realtime`, { reconnection: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 2 } })
      const failures = collect<ConnectErrorEvent>(client.lifecycle, 'connect_error')
      const reconnecting = collect(client.lifecycle, 'reconnecting')
      const errors = collect<RealtimeError>(client.lifecycle, 'error')
      await until(() => errors.length > 0, 5000, 'giving up after maxAttempts')
      const expected = { transport: transport.name, cause: 'http-status', status: 503 }
      expect(failures.map(outline)).toEqual([
        { ...expected, willRetry: true },
        { ...expected, willRetry: true },
        { ...expected, willRetry: false },
      ])
      expect(reconnecting).toHaveLength(2)
      expect(errors[0]?.code).toBe(ErrorCode.TransportError)
      expect(errors[0]?.message).not.toContain('on every transport')
    } finally {
      unavailable.closeAllConnections()
      await new Promise((resolve) => unavailable.close(resolve))
    }
  })
})
