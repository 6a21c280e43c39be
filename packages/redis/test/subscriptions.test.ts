import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { connectedClient, until } from '../../../test/support.js'
import { REDIS_URL, startNode, testPrefix } from './redis-support.js'

async function subscribers(prefix: string, room: string): Promise<number> {
  const redis = new Redis(REDIS_URL)
  try {
    const answer = (await redis.call('PUBSUB', 'SHARDNUMSUB', `${prefix}{${room}}:c`)) as [string, number]
    return Number(answer[1])
  } finally {
    redis.disconnect()
  }
}

describe('a node subscribes only to the channels its clients are in', () => {
  it('sends ~0 bytes of a busy channel to a node without members of it', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const b = await startNode(prefix)
    const idle = await startNode(prefix)
    const reader = await connectedClient(b.url)
    const got: unknown[] = []
    reader.channel('busy').on('tick', (data) => got.push(data))
    await reader.channel('busy').subscribe()
    // The idle node has a client too, in another channel.
    const elsewhere = await connectedClient(idle.url)
    await elsewhere.channel('other').subscribe()
    expect(await subscribers(prefix, 'busy')).toBe(1)
    const idleBefore = idle.adapter.stats.bytesReceived
    const memberBefore = b.adapter.stats.bytesReceived
    const payload = 'x'.repeat(200)
    for (let i = 0; i < 1000; i++) void a.rt.to('busy').emit('tick', { i, payload })
    await until(() => got.length === 1000, 20_000, '1000 ticks on the member node')
    const idleBytes = idle.adapter.stats.bytesReceived - idleBefore
    const memberBytes = b.adapter.stats.bytesReceived - memberBefore
    expect(memberBytes).toBeGreaterThan(200_000)
    expect(idleBytes).toBe(0)
  })

  it('unsubscribes a node once its last member left the channel', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const client = await connectedClient(a.url)
    const other = await connectedClient(a.url)
    await client.channel('brief').subscribe()
    await other.channel('brief').subscribe()
    expect(await subscribers(prefix, 'brief')).toBe(1)
    client.channel('brief').unsubscribe()
    // One member is left: the node stays subscribed.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await subscribers(prefix, 'brief')).toBe(1)
    other.disconnect()
    await until(() => a.adapter.stats.followed === 0, 10_000, 'the node to stop following')
    expect(await subscribers(prefix, 'brief')).toBe(0)
  })

  it('follows a room that the server joined a connection to', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const b = await startNode(prefix)
    b.rt.on('connection', (conn) => conn.join('team'))
    const client = await connectedClient(b.url)
    const got: unknown[] = []
    client.channel('team').on('note', (data) => got.push(data))
    await until(() => b.adapter.stats.followed === 1, 10_000)
    // Its subscription is in place once Redis answers; broadcasts after that reach it.
    for (let tries = 0; tries < 200 && (await subscribers(prefix, 'team')) !== 1; tries++) await new Promise((resolve) => setTimeout(resolve, 25))
    await a.rt.to('team').emit('note', 'hi')
    await until(() => got.length === 1, 10_000)
    expect(got).toEqual(['hi'])
  })
})
