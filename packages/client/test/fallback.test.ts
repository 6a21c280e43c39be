import { createServer, request as httpRequest, type IncomingMessage } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import type { ClientTransport } from '@org/realtime-core'
import { RealtimeClient } from '@org/realtime-client'
import { RealtimeServer } from '@org/realtime-server'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import { describe, expect, it } from 'vitest'
import { allServerTransports, once } from '../../../test/support.js'

describe('transport fallback', () => {
  it('lands on SSE when WebSocket upgrades are blocked, then on polling when SSE is blocked too', async () => {
    const blocked = new Set<string>()
    const rt = new RealtimeServer({ transports: allServerTransports() })
    rt.on('connection', (conn) => conn.on('echo', (data) => data))
    const port = await rt.listen(0, { host: '127.0.0.1' })
    // A proxy in front: it refuses what is blocked and forwards everything else to the realtime server.
    const proxy = createServer((request, response) => {
      if (blocked.has('sse') && request.url?.includes('transport=sse')) return void response.writeHead(502).end()
      const upstream = httpRequest({ host: '127.0.0.1', port, path: request.url, method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(response)
      })
      upstream.on('error', () => response.destroy())
      request.pipe(upstream)
    })
    proxy.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      if (blocked.has('websocket')) return void socket.destroy()
      const upstream = connect(port, '127.0.0.1', () => {
        const headers = request.rawHeaders.map((value, index) => (index % 2 === 0 ? `${value}: ` : `${value}\r\n`)).join('')
        upstream.write(`${request.method} ${request.url} HTTP/1.1\r\n${headers}\r\n`)
        upstream.write(head)
        socket.pipe(upstream).pipe(socket)
      })
      upstream.on('error', () => socket.destroy())
      socket.on('error', () => upstream.destroy())
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/realtime`
    const open = async (): Promise<RealtimeClient> => {
      const client = new RealtimeClient(url, { transports: ['websocket', 'sse', 'polling'], reconnection: false })
      await once(client.lifecycle, 'connect')
      await expect(client.emitWithAck('echo', client.transport)).resolves.toBe(client.transport)
      client.disconnect()
      return client
    }
    try {
      expect((await open()).transport).toBe('websocket')
      blocked.add('websocket')
      expect((await open()).transport).toBe('sse')
      blocked.add('sse')
      expect((await open()).transport).toBe('polling')
    } finally {
      await rt.close()
      proxy.closeAllConnections()
      await new Promise((resolve) => proxy.close(resolve))
    }
  })

  it('moves on when a transport does not open within connectTimeoutMs', async () => {
    const rt = new RealtimeServer({ transports: allServerTransports() })
    const port = await rt.listen(0, { host: '127.0.0.1' })
    const silent: ClientTransport = { name: 'silent', open: () => ({ send() {}, close() {} }) }
    const client = new RealtimeClient(`http://127.0.0.1:${port}/realtime`, { transports: [silent, webSocketTransport()], connectTimeoutMs: 100 })
    try {
      await once(client.lifecycle, 'connect')
      expect(client.transport).toBe('websocket')
    } finally {
      client.disconnect()
      await rt.close()
    }
  })

  it('reconnects with the transport that worked last', async () => {
    const rt = new RealtimeServer({ transports: allServerTransports() })
    const port = await rt.listen(0, { host: '127.0.0.1' })
    const refused: ClientTransport = {
      name: 'refused',
      open: (_url, listener) => {
        queueMicrotask(() => listener.close(1006, 'refused'))
        return { send() {}, close() {} }
      },
    }
    let refusals = 0
    const counting: ClientTransport = { name: 'refused', open: (url, listener) => (refusals++, refused.open(url, listener)) }
    const client = new RealtimeClient(`http://127.0.0.1:${port}/realtime`, { transports: [counting, 'polling'], reconnection: { initialDelayMs: 10 } })
    try {
      await once(client.lifecycle, 'connect')
      expect(client.transport).toBe('polling')
      expect(refusals).toBe(1)
      const reconnected = once(client.lifecycle, 'reconnect')
      for (const conn of rt.connections.values()) conn.terminate()
      await reconnected
      expect(client.transport).toBe('polling')
      expect(refusals).toBe(1)
    } finally {
      client.disconnect()
      await rt.close()
    }
  })

  it('refuses an unknown transport name', () => {
    expect(() => new RealtimeClient('http://127.0.0.1:1/realtime', { transports: ['carrier-pigeon' as 'sse'] })).toThrowError(/Unknown transport/)
  })
})
