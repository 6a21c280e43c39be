import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { RealtimeClient, type DisconnectEvent } from '@org/realtime-client'
import { RealtimeServer } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { allServerTransports, currentTransport, describeTransports, once } from '../../../test/support.js'

/** Resource kinds alive in this process, e.g. `TCPServerWrap`, `TCPSocketWrap`, `Timeout`. */
function activeResources(): string[] {
  return process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap' && kind !== 'PipeWrap')
}

function count(kinds: string[], kind: string): number {
  return kinds.filter((each) => each === kind).length
}

describeTransports('close', () => {
  it('closes every connection, frees the port, and leaves no open handles', async () => {
    const before = activeResources()
    const rt = new RealtimeServer({ transports: allServerTransports(), pingIntervalMs: 1000, pingTimeoutMs: 1000 })
    rt.on('connection', (conn) => conn.on('echo', (data) => data))
    const port = await rt.listen(0, { host: '127.0.0.1' })
    const clients = Array.from(
      { length: 5 },
      () => new RealtimeClient(`http://127.0.0.1:${port}/realtime`, { transports: [currentTransport().client()], reconnection: false }),
    )
    await Promise.all(clients.map((client) => once(client.lifecycle, 'connect')))
    await Promise.all(clients.map((client) => client.emitWithAck('echo', 1)))
    const disconnects = clients.map((client) => once<DisconnectEvent>(client.lifecycle, 'disconnect'))
    await rt.close()
    for (const event of await Promise.all(disconnects)) expect(event.reason).toBe('server-shutdown')
    expect(rt.connections.size).toBe(0)
    // The port is free again.
    const reuse = createServer()
    await new Promise<void>((resolve, reject) => reuse.once('error', reject).listen(port, '127.0.0.1', resolve))
    await new Promise((resolve) => reuse.close(resolve))
    // Nothing of the server, its sockets or its timers is left: no kind of resource grew.
    const grown = (): string[] => [...new Set(activeResources())].filter((kind) => count(activeResources(), kind) > count(before, kind))
    for (let turn = 0; turn < 50 && grown().length > 0; turn++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(grown()).toEqual([])
  })

  it('lets clients retry while it closes, so they reach the server restarted on the same port', async () => {
    // A plugin that takes a while to close keeps the server closing, as a database or Redis would.
    const slowClose = { name: 'slow-close', onClose: () => new Promise<void>((resolve) => setTimeout(resolve, 600)) }
    const first = new RealtimeServer({ transports: allServerTransports(), plugins: [slowClose], logger: false })
    const port = await first.listen(0, { host: '127.0.0.1' })
    const client = new RealtimeClient(`http://127.0.0.1:${port}/realtime`, {
      transports: [currentTransport().client()],
      reconnection: { initialDelayMs: 20, maxDelayMs: 50, jitter: 0 },
    })
    const second = new RealtimeServer({ transports: allServerTransports(), logger: false })
    try {
      await once(client.lifecycle, 'connect')
      const finalDisconnects: DisconnectEvent[] = []
      client.lifecycle.on('disconnect', (event) => {
        if (!event.willReconnect) finalDisconnects.push(event)
      })
      const reconnected = once(client.lifecycle, 'reconnect', 10_000)
      // Clients retry against the closing server many times meanwhile: none of its answers is final.
      await first.close()
      await second.listen(port, { host: '127.0.0.1' })
      await reconnected
      expect(finalDisconnects).toEqual([])
      expect(client.connected).toBe(true)
    } finally {
      client.disconnect()
      await second.close()
    }
  })
})

describe('close over websocket', () => {
  it('terminates peers that do not answer the close handshake within closeTimeoutMs', async () => {
    const rt = new RealtimeServer({ closeTimeoutMs: 100 })
    const port = await rt.listen(0, { host: '127.0.0.1' })
    const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime`)
    await new Promise((resolve) => ws.once('open', resolve))
    ws.send(JSON.stringify({ t: 'hello', v: 1 }))
    await once(rt, 'connection')
    // Stop reading: the close frame is never answered.
    ;(ws as unknown as { _socket: { pause(): void } })._socket.pause()
    const started = Date.now()
    await rt.close()
    expect(Date.now() - started).toBeLessThan(1000)
    ws.terminate()
  })

  it('closes connections still in their handshake', async () => {
    const rt = new RealtimeServer({ authenticate: () => new Promise(() => {}) })
    const port = await rt.listen(0, { host: '127.0.0.1' })
    const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime`)
    await new Promise((resolve) => ws.once('open', resolve))
    ws.send(JSON.stringify({ t: 'hello', v: 1 }))
    const closed = new Promise<number>((resolve) => ws.once('close', resolve))
    await rt.close()
    expect(await closed).toBe(1001)
  })

  it('leaves an attached HTTP server running, and serves only its path', async () => {
    const http = createServer((_request, response) => response.end('app'))
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    const port = (http.address() as AddressInfo).port
    const rt = new RealtimeServer().attach(http, { path: '/live' })
    const client = new RealtimeClient(`http://127.0.0.1:${port}/live`)
    await once(client.lifecycle, 'connect')
    const other = new WebSocket(`ws://127.0.0.1:${port}/elsewhere`)
    const otherFailed = new Promise((resolve) => other.once('error', resolve).once('close', resolve))
    client.disconnect()
    await rt.close()
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('app')
    other.terminate()
    await otherFailed
    await new Promise((resolve) => http.close(resolve))
    http.closeAllConnections()
  })
})
