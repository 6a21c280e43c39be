import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CloseCode } from '@org/realtime-core'
import { RealtimeServer, type RealtimeServerOptions } from '@org/realtime-server'
import { webSocketTransport } from '@org/realtime-transport-ws/server'
import { describe, expect, it } from 'vitest'
import { connectedClient, until } from '../../../test/support.js'
import { RawUpgradePeer, socketsDropTo } from './raw-upgrade.js'

const CLOSE_TIMEOUT_MS = 300
/** Scheduling slack on a loaded machine; still far below ws's own 30 s. */
const SLACK_MS = 1500

/** A server on its own HTTP server, so the test can count the sockets it holds. */
async function setup(options: RealtimeServerOptions<Record<string, unknown>> = {}) {
  const server = createServer()
  const rt = new RealtimeServer({ transports: [webSocketTransport()], closeTimeoutMs: CLOSE_TIMEOUT_MS, ...options })
  rt.on('connection', (conn) => conn.on('echo', (data) => data))
  rt.attach(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    server,
    close: async () => {
      await rt.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

describe('refused WebSocket sockets', () => {
  it('destroys a socket refused by connectionsPerIp within closeTimeoutMs when the peer never answers the close', async () => {
    const { port, server, close } = await setup({ rateLimit: { connectionsPerIp: 1 } })
    const holder = RawUpgradePeer.open(port, '/realtime', { localAddress: '127.0.0.2' })
    let refused: RawUpgradePeer | undefined
    try {
      await until(() => holder.head.startsWith('HTTP/1.1 101'), 5000, 'the first upgrade')
      refused = RawUpgradePeer.open(port, '/realtime', { localAddress: '127.0.0.2' })
      await until(() => refused?.closeCode !== undefined, 5000, 'the close frame')
      const closeSent = Date.now()
      expect(refused.closeCode).toBe(CloseCode.RateLimited)
      expect(String(refused.frames[0]?.payload)).toContain('LIMIT_EXCEEDED')
      const bystander = await connectedClient(`http://127.0.0.1:${port}/realtime`)
      const cut = await socketsDropTo(server, 2, CLOSE_TIMEOUT_MS + SLACK_MS)
      expect(cut - closeSent).toBeLessThan(CLOSE_TIMEOUT_MS + SLACK_MS)
      expect(await bystander.emitWithAck('echo', 'ok')).toBe('ok')
      bystander.disconnect()
    } finally {
      holder.socket.destroy()
      refused?.socket.destroy()
      await close()
    }
  })

  it('destroys a socket whose handshake timed out within closeTimeoutMs when the peer never answers the close', async () => {
    const { port, server, close } = await setup({ handshakeTimeoutMs: 200 })
    const silent = RawUpgradePeer.open(port, '/realtime', { localAddress: '127.0.0.2' })
    try {
      const bystander = await connectedClient(`http://127.0.0.1:${port}/realtime`)
      await until(() => silent.closeCode !== undefined, 5000, 'the close frame')
      const closeSent = Date.now()
      expect(silent.closeCode).toBe(CloseCode.HandshakeTimeout)
      const cut = await socketsDropTo(server, 1, CLOSE_TIMEOUT_MS + SLACK_MS)
      expect(cut - closeSent).toBeLessThan(CLOSE_TIMEOUT_MS + SLACK_MS)
      expect(await bystander.emitWithAck('echo', 'ok')).toBe('ok')
      bystander.disconnect()
    } finally {
      silent.socket.destroy()
      await close()
    }
  })

  it('destroys the socket of an upgrade refused for its origin when the peer never closes its side', async () => {
    const { port, server, close } = await setup({ origins: ['http://app.example'] })
    const refused = RawUpgradePeer.open(port, '/realtime', { localAddress: '127.0.0.2', headers: { Origin: 'http://evil.example' } })
    try {
      await refused.closed
      expect(refused.head).toMatch(/^HTTP\/1\.1 403 /)
      await socketsDropTo(server, 0, SLACK_MS)
      const bystander = await connectedClient(`http://127.0.0.1:${port}/realtime`)
      expect(await bystander.emitWithAck('echo', 'ok')).toBe('ok')
      bystander.disconnect()
    } finally {
      refused.socket.destroy()
      await close()
    }
  })
})
