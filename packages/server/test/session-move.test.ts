import type { ClientSocket, ClientTransport } from '@org/realtime-core'
import type { Connection } from '@org/realtime-server'
import { expect, it } from 'vitest'
import { memoryCluster } from '../../../test/memory-cluster.js'
import { collect, createClient, currentTransport, describeTransports, once, startServer, until } from '../../../test/support.js'

/** Opens each connection on the node `target` names (by port): a load balancer without stickiness. */
class RoutingTransport implements ClientTransport {
  readonly name: ClientTransport['name']
  readonly #inner: ClientTransport
  port: number

  constructor(inner: ClientTransport, port: number) {
    this.#inner = inner
    this.name = inner.name
    this.port = port
  }

  open(url: string, listener: Parameters<ClientTransport['open']>[1]): ClientSocket {
    const target = new URL(url)
    target.port = String(this.port)
    return this.#inner.open(target.toString(), listener)
  }
}

/** Two servers of one cluster, each answering `where` with its name. */
async function twoNodes() {
  const cluster = memoryCluster()
  const start = async (name: string) => {
    const node = await startServer({ adapter: cluster.adapter(), authorize: () => true })
    node.rt.on('connection', (conn) => conn.on('where', () => name))
    return node
  }
  return { a: await start('a'), b: await start('b') }
}

describeTransports('a session moving between nodes', () => {
  it('resumes on another node with its id, data, rooms, unconfirmed frames and missed channel messages, once each', async () => {
    const { a, b } = await twoNodes()
    const route = new RoutingTransport(currentTransport().client(), a.port)
    const connectedOnA = once<Connection>(a.rt, 'connection')
    const client = createClient(a.url, { transports: [route], reconnection: { initialDelayMs: 50, maxDelayMs: 50, jitter: 0 } })
    const conn = await connectedOnA
    conn.data = { user: 'ada' }
    conn.join('team')
    const feed = client.channel('feed')
    const received = collect<number>(feed, 'n')
    const direct = collect<string>(client, 'direct')
    await feed.subscribe()
    await a.rt.to('feed').emit('n', 1)
    await until(() => received.length === 1, 5000, 'the live message')
    expect(await client.emitWithAck('where')).toBe('a')

    const movedAway = once<Connection>(a.rt, 'moved')
    const leftOnA: Array<[string, string]> = []
    a.rt.on('leave', (_conn: Connection, room: string, reason: string) => leftOnA.push([room, reason]))
    const disconnectsOnA = collect(a.rt, 'disconnect')
    const connectedOnB = once<Connection>(b.rt, 'connection')
    const joinedOnB: Array<[string, string]> = []
    b.rt.on('join', (_conn: Connection, room: string, reason: string) => joinedOnB.push([room, reason]))
    const disconnected = once(client.lifecycle, 'disconnect')
    route.port = b.port
    conn.terminate()
    await disconnected
    // While away: a channel message published on the other node, and a frame to the session itself.
    await b.rt.to('feed').emit('n', 2)
    conn.emit('direct', 'while away')
    expect(await once(client.lifecycle, 'reconnect')).toEqual({ attempts: 1, recovered: true })

    const movedIn = await connectedOnB
    expect(await movedAway).toBe(conn)
    expect(movedIn.id).toBe(conn.id)
    expect(client.id).toBe(conn.id)
    expect(movedIn.movedIn).toBe(true)
    expect(conn.movedIn).toBe(false)
    expect(movedIn.data).toEqual({ user: 'ada' })
    expect([...movedIn.rooms].sort()).toEqual(['feed', 'team'])
    expect(joinedOnB.sort()).toEqual([
      ['feed', 'moved'],
      ['team', 'moved'],
    ])
    expect(leftOnA.sort()).toEqual([
      ['feed', 'moved'],
      ['team', 'moved'],
    ])
    expect(disconnectsOnA).toEqual([])
    expect(a.rt.connections.has(conn.id)).toBe(false)
    expect(b.rt.connections.get(conn.id)).toBe(movedIn)

    await until(() => received.length >= 2 && direct.length >= 1, 5000, 'what was missed')
    await b.rt.to('feed').emit('n', 3)
    await until(() => received.length >= 3, 5000, 'live after the move')
    expect(received).toEqual([1, 2, 3])
    expect(direct).toEqual(['while away'])
    expect(await client.emitWithAck('where')).toBe('b')
    expect((await b.rt.in('team').members()).map((member) => member.id)).toEqual([conn.id])
    expect((await a.rt.in('team').members()).map((member) => member.id)).toEqual([conn.id])
  })

  it('starts a new session when no node holds the token any more', async () => {
    const { a, b } = await twoNodes()
    const route = new RoutingTransport(currentTransport().client(), a.port)
    const connectedOnA = once<Connection>(a.rt, 'connection')
    const client = createClient(a.url, { transports: [route], reconnection: { initialDelayMs: 500, maxDelayMs: 500, jitter: 0 } })
    await once(client.lifecycle, 'connect')
    const conn = await connectedOnA
    const detached = once(a.rt, 'detached')
    const reconnect = once(client.lifecycle, 'reconnect')
    route.port = b.port
    conn.terminate()
    await detached
    // The session ends on A before its client comes back, on B.
    conn.disconnect()
    expect(await reconnect).toEqual({ attempts: 1, recovered: false })
    expect(client.id).not.toBe(conn.id)
    expect(await client.emitWithAck('where')).toBe('b')
  })
})
