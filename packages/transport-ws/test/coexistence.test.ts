import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { RealtimeServer } from '@org/realtime-server'
import { webSocketTransport } from '@org/realtime-transport-ws/server'
import { describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { connectedClient, once } from '../../../test/support.js'
import { RawUpgradePeer, socketsDropTo } from './raw-upgrade.js'

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** An app's own WebSocket endpoint: it answers every message with `app:` and the message. */
async function appSocket(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/other`)
  await once(ws, 'open')
  return ws
}

async function appEcho(ws: WebSocket, text: string): Promise<string> {
  const answer = once(ws, 'message')
  ws.send(text)
  return String(await answer)
}

describe('the WebSocket transport beside an app WebSocketServer on the same HTTP server', () => {
  it.each(['the app', 'realtime'] as const)('serves both, each on its own path, when %s starts first', async (first) => {
    const server = createServer()
    const rt = new RealtimeServer({ transports: [webSocketTransport()] })
    rt.on('connection', (conn) => conn.on('echo', (data) => data))
    const startApp = (): WebSocketServer => {
      const wss = new WebSocketServer({ server, path: '/other' })
      wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`app:${String(data)}`)))
      return wss
    }
    const appFirst = first === 'the app' ? startApp() : undefined
    rt.attach(server)
    const app = appFirst ?? startApp()
    const port = await listen(server)
    const sockets: WebSocket[] = []
    try {
      const client = await connectedClient(`http://127.0.0.1:${port}/realtime`)
      expect(await client.emitWithAck('echo', 1)).toBe(1)
      sockets.push(await appSocket(port))
      expect(await appEcho(sockets[0] as WebSocket, 'x')).toBe('app:x')
      // A realtime connection opened while the app's is open, and the first one, both still work.
      const second = await connectedClient(`http://127.0.0.1:${port}/realtime?tab=2`)
      sockets.push(await appSocket(port))
      expect(await second.emitWithAck('echo', 2)).toBe(2)
      expect(await client.emitWithAck('echo', 3)).toBe(3)
      expect(await appEcho(sockets[1] as WebSocket, 'y')).toBe('app:y')
      // The app's server still refuses the paths it does not serve, as ws does.
      const stray = RawUpgradePeer.open(port, '/nowhere')
      await stray.closed
      stray.socket.destroy()
      expect(stray.head).toMatch(/^HTTP\/1\.1 400 /)
      client.disconnect()
      second.disconnect()
    } finally {
      for (const ws of sockets) ws.terminate()
      await rt.close()
      app.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('refuses with 404 an upgrade to another path when nothing else on the server takes upgrades', async () => {
    const server = createServer()
    const rt = new RealtimeServer({ transports: [webSocketTransport()] })
    rt.attach(server)
    const port = await listen(server)
    const peer = RawUpgradePeer.open(port, '/other')
    try {
      await peer.closed
      expect(peer.head).toMatch(/^HTTP\/1\.1 404 /)
      // The peer never closes its side: the server must not keep the socket for it.
      await socketsDropTo(server, 0, 1500)
    } finally {
      peer.socket.destroy()
      await rt.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
