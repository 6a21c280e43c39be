import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ClientTransport } from '@org/realtime-core'
import { RealtimeClient } from '@org/realtime-client'
import { RealtimeServer } from '@org/realtime-server'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import { describe, expect, it } from 'vitest'
import { allServerTransports, once } from '../../../test/support.js'

type Listener = (request: IncomingMessage, response: ServerResponse) => void

describe('transport fallback', () => {
  it('lands on SSE when WebSocket upgrades are blocked, then on polling when SSE is blocked too', async () => {
    const { createServer } = await import('node:http')
    const blocked = new Set<string>()
    const rt = new RealtimeServer({ transports: allServerTransports() })
    rt.on('connection', (conn) => conn.on('echo', (data) => data))
    // A proxy in front: it refuses what is blocked and hands everything else to the realtime server.
    const http = createServer()
    rt.attach(http)
    const realtime = http.listeners('request') as Listener[]
    const upgrades = http.listeners('upgrade') as Array<(...args: unknown[]) => void>
    http.removeAllListeners('request').removeAllListeners('upgrade')
    http.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (blocked.has('sse') && request.url?.includes('transport=sse')) response.writeHead(502).end()
      else for (const listener of realtime) listener.call(http, request, response)
    })
    http.on('upgrade', (request: IncomingMessage, socket: { destroy(): void }, head: unknown) => {
      if (blocked.has('websocket')) socket.destroy()
      else for (const listener of upgrades) listener.call(http, request, socket, head)
    })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(http.address() as { port: number }).port}/realtime`
    const connect = async (): Promise<RealtimeClient> => {
      const client = new RealtimeClient(url, { transports: ['websocket', 'sse', 'polling'], reconnection: false })
      await once(client, 'connect')
      await expect(client.emitWithAck('echo', client.transport)).resolves.toBe(client.transport)
      client.disconnect()
      return client
    }
    try {
      expect((await connect()).transport).toBe('websocket')
      blocked.add('websocket')
      expect((await connect()).transport).toBe('sse')
      blocked.add('sse')
      expect((await connect()).transport).toBe('polling')
    } finally {
      await rt.close()
      http.closeAllConnections()
      await new Promise((resolve) => http.close(resolve))
    }
  })

  it('moves on when a transport does not open within connectTimeoutMs', async () => {
    const rt = new RealtimeServer({ transports: allServerTransports() })
    const port = await rt.listen(0, { host: '127.0.0.1' })
    const silent: ClientTransport = { name: 'silent', open: () => ({ send() {}, close() {} }) }
    const client = new RealtimeClient(`http://127.0.0.1:${port}/realtime`, { transports: [silent, webSocketTransport()], connectTimeoutMs: 100 })
    try {
      await once(client, 'connect')
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
      await once(client, 'connect')
      expect(client.transport).toBe('polling')
      expect(refusals).toBe(1)
      const reconnected = once(client, 'reconnect')
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
