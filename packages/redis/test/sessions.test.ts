import type { Connection } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { connectedClient, once, until } from '../../../test/support.js'
import { closeAfter, startNode, testPrefix } from './redis-support.js'
import { TcpBalancer } from './tcp-balancer.js'

async function balancer(ports: number[]): Promise<TcpBalancer> {
  const lb = await TcpBalancer.start(ports)
  closeAfter(() => lb.close())
  return lb
}

describe('sessions and members across nodes', () => {
  it('resumes a session on another node: same id, its rooms, and every message it missed', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const b = await startNode(prefix)
    const lb = await balancer([a.port])
    const opened = once<Connection>(a.rt, 'connection', 10_000)
    const client = await connectedClient(lb.url)
    const first = await opened
    const got: number[] = []
    client.channel('room').on('n', (data: number) => got.push(data))
    await client.channel('room').subscribe()
    await a.rt.to('room').emit('n', 1)
    await until(() => got.length === 1, 10_000)
    // The network drops; the balancer now sends the client to B.
    lb.backends = [b.port]
    const moved = once<Connection>(b.rt, 'connection', 15_000)
    const reconnected = once<{ recovered: boolean }>(client.lifecycle, 'reconnect', 15_000)
    lb.dropAll()
    await a.rt.to('room').emit('n', 2)
    const conn = await moved
    expect(conn.id).toBe(first.id)
    expect(conn.movedIn).toBe(true)
    expect([...conn.rooms]).toContain('room')
    expect(await reconnected).toMatchObject({ recovered: true })
    await b.rt.to('room').emit('n', 3)
    await a.rt.to('room').emit('n', 4)
    await until(() => got.length === 4, 10_000)
    expect(got).toEqual([1, 2, 3, 4])
    // A let it go: it has no member of the room any more.
    expect(await a.rt.in('room').count()).toBe(1)
    await until(() => a.adapter.stats.followed === 0, 10_000, 'A to stop following the room')
  })

  it('starts a new session when no node holds the one asked for', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix, { adapter: { sessionLookupMs: 5000 } })
    const b = await startNode(prefix, { adapter: { sessionLookupMs: 5000 } })
    const lb = await balancer([a.port])
    const client = await connectedClient(lb.url)
    lb.backends = [b.port]
    await a.rt.close()
    const started = Date.now()
    const reconnected = await once<{ recovered: boolean }>(client.lifecycle, 'reconnect', 15_000)
    expect(reconnected.recovered).toBe(false)
    // Every live node answered "not here" at once: nobody waited for the lookup's time limit.
    expect(Date.now() - started).toBeLessThan(4000)
  })

  it('lists the members of a room on every node', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const b = await startNode(prefix)
    const c = await startNode(prefix)
    for (const node of [a, b, b, c]) await (await connectedClient(node.url)).channel('team').subscribe()
    await (await connectedClient(c.url)).channel('other').subscribe()
    expect(await a.rt.in('team').count()).toBe(4)
    expect((await b.rt.in('team').members()).every((member) => member.connected)).toBe(true)
    expect(await c.rt.in('other').count()).toBe(1)
  })
})
