import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { connectedClient, createClient, once, until } from '../../../test/support.js'
import { closeAfter, REDIS_URL, removeKeys, startNode, testPrefix } from './redis-support.js'
import { TcpBalancer } from './tcp-balancer.js'

async function balancer(ports: number[]): Promise<TcpBalancer> {
  const lb = await TcpBalancer.start(ports)
  closeAfter(() => lb.close())
  return lb
}

async function redisClient(): Promise<Redis> {
  const redis = new Redis(REDIS_URL)
  closeAfter(async () => redis.disconnect())
  return redis
}

describe('channel history in Redis streams', () => {
  it('lets a client that reconnects to another node recover what it missed, once, in order', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const b = await startNode(prefix)
    const lb = await balancer([a.port, b.port])
    const client = await connectedClient(lb.url)
    const got: Array<[unknown, number | undefined]> = []
    const news = client.channel('news')
    news.on('n', (data, { offset }) => got.push([data, offset]))
    await news.subscribe()
    for (let i = 1; i <= 5; i++) await b.rt.to('news').emit('n', i)
    await until(() => got.length === 5, 10_000, 'the first five')
    // Node A goes away: its client reconnects through the balancer, to B.
    const resubscribed = once(news.lifecycle, 'subscribed', 15_000)
    const closing = a.rt.close()
    for (let i = 6; i <= 10; i++) await b.rt.to('news').emit('n', i)
    await closing
    expect(await resubscribed).toMatchObject({ recovered: true })
    for (let i = 11; i <= 12; i++) await b.rt.to('news').emit('n', i)
    await until(() => got.length >= 12, 10_000, 'all twelve')
    expect(got).toEqual(Array.from({ length: 12 }, (_, i) => [i + 1, i + 1]))
  })

  it('caps each channel stream by length', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix, { server: { recovery: { historySize: 5 } } })
    for (let i = 1; i <= 20; i++) await a.rt.to('capped').emit('n', i)
    const redis = await redisClient()
    const stream = `${prefix}{capped}:s`
    expect((await redis.xrange(stream, '-', '+')).map(([id]) => id)).toEqual(['16-0', '17-0', '18-0', '19-0', '20-0'])
  })

  it('drops messages past their age, and forgets an idle channel with its epoch', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix, { server: { recovery: { historyAgeMs: 2000 } } })
    const redis = await redisClient()
    const stream = `${prefix}{aged}:s`
    for (let i = 1; i <= 3; i++) await a.rt.to('aged').emit('n', i)
    await new Promise((resolve) => setTimeout(resolve, 1200))
    for (let i = 4; i <= 6; i++) await a.rt.to('aged').emit('n', i)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(await a.rt.to('aged').emit('n', 7)).toEqual([7])
    expect((await redis.xrange(stream, '-', '+')).map(([id]) => id)).toEqual(['4-0', '5-0', '6-0', '7-0'])
    const epoch = await redis.hget(`${prefix}{aged}:m`, 'e')
    expect(await redis.pttl(stream)).toBeGreaterThan(0)
    // Nobody is in it: once its last message is past its age, it starts over.
    await new Promise((resolve) => setTimeout(resolve, 2100))
    expect(await redis.exists(stream, `${prefix}{aged}:m`)).toBe(0)
    expect(await a.rt.to('aged').emit('n', 8)).toEqual([1])
    expect(await redis.hget(`${prefix}{aged}:m`, 'e')).not.toBe(epoch)
  })

  it('keeps the epoch of a channel that has members while nobody publishes', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix, { server: { recovery: { historyAgeMs: 1500 } } })
    const client = await connectedClient(a.url)
    await client.channel('quiet').subscribe()
    const redis = await redisClient()
    const epoch = await redis.hget(`${prefix}{quiet}:m`, 'e')
    expect(epoch).toEqual(expect.any(String))
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect(await redis.hget(`${prefix}{quiet}:m`, 'e')).toBe(epoch)
  })

  it('answers a history page from Redis on a node that never had the channel', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const b = await startNode(prefix)
    for (let i = 1; i <= 30; i++) await a.rt.to('log').emit('n', i)
    const reader = await connectedClient(b.url)
    const page = await reader.channel('log').history({ since: 10, limit: 5 })
    expect(page.messages.map((message) => [message.data, message.offset])).toEqual([
      [11, 11],
      [12, 12],
      [13, 13],
      [14, 14],
      [15, 15],
    ])
    expect(page.offset).toBe(30)
  })

  it('tells a client recovered: false when Redis lost the channel history (a new epoch)', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const b = await startNode(prefix)
    const lb = await balancer([a.port, b.port])
    const client = await connectedClient(lb.url)
    const channel = client.channel('lost')
    const got: unknown[] = []
    channel.on('n', (data) => got.push(data))
    await channel.subscribe()
    await a.rt.to('lost').emit('n', 1)
    await until(() => got.length === 1, 10_000)
    const resubscribed = once(channel.lifecycle, 'subscribed', 15_000)
    await a.rt.close()
    // As after a restart of a Redis that keeps nothing on disk.
    await removeKeys(REDIS_URL, prefix)
    expect(await resubscribed).toMatchObject({ recovered: false })
    await b.rt.to('lost').emit('n', 2)
    await until(() => got.length === 2, 10_000)
    expect(got).toEqual([1, 2])
  })

  it('reads the history of a channel once per node when a thousand of its clients resume there at once', async () => {
    const prefix = testPrefix()
    const server = { rateLimit: false as const }
    const a = await startNode(prefix, { server })
    const b = await startNode(prefix, { server })
    const lb = await balancer([a.port])
    const clients = await Promise.all(
      Array.from({ length: 1000 }, async () => {
        const client = createClient(lb.url, { reconnection: { initialDelayMs: 50, maxDelayMs: 500 } })
        await once(client.lifecycle, 'connect', 60_000)
        await client.channel('crowd').subscribe()
        return client
      }),
    )
    for (let i = 1; i <= 20; i++) await a.rt.to('crowd').emit('n', i)
    // B has never had the channel; everyone comes over at once.
    lb.backends = [b.port]
    const readsBefore = b.adapter.stats.historyReads
    const recovered = clients.map((client) => once(client.channel('crowd').lifecycle, 'subscribed', 90_000))
    await a.rt.close()
    for (let i = 21; i <= 25; i++) await b.rt.to('crowd').emit('n', i)
    const results = await Promise.all(recovered)
    expect(results.filter((result) => result.recovered).length).toBe(1000)
    expect(b.adapter.stats.historyReads - readsBefore).toBeLessThanOrEqual(1)
  }, 180_000)
})
