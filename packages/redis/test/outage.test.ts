import { describe, expect, it } from 'vitest'
import type { RealtimeClient } from '@org/realtime-client'
import { connectedClient, once, until } from '../../../test/support.js'
import { closeAfter, recordingLogger, startNode, testPrefix, type TestNode } from './redis-support.js'
import { RedisProcess } from './redis-process.js'

async function ownRedis(options: { persistent?: boolean } = {}): Promise<RedisProcess> {
  const redis = await RedisProcess.start(options)
  closeAfter(() => redis.stop())
  return redis
}

/** A client of `node` subscribed to `channel`, with what it received: [publisher, number]. */
async function reader(node: TestNode, channel: string): Promise<{ client: RealtimeClient; got: Array<[string, number]> }> {
  const client = await connectedClient(node.url)
  const got: Array<[string, number]> = []
  client.channel(channel).on('n', (data: [string, number]) => got.push(data))
  await client.channel(channel).subscribe()
  return { client, got }
}

/** Every number 1..count from each publisher, each once, each publisher's in order. */
function expectEveryMessageOnce(got: Array<[string, number]>, publishers: string[], count: number): void {
  for (const publisher of publishers) {
    const numbers = got.filter(([from]) => from === publisher).map(([, n]) => n)
    expect(numbers, `messages from ${publisher}`).toEqual(Array.from({ length: count }, (_, i) => i + 1))
  }
}

/** Which of 1..count each publisher's messages are missing or repeated, for a failure's message. */
function describeMissing(got: Array<[string, number]>, publishers: string[], count: number): string {
  return publishers
    .map((publisher) => {
      const numbers = got.filter(([from]) => from === publisher).map(([, n]) => n)
      const missing = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !numbers.includes(n))
      return `${publisher}: ${numbers.length} received, missing [${missing.join(',')}]`
    })
    .join(', ')
}

describe('Redis outages', () => {
  for (const persistent of [false, true]) {
    it(`keeps delivering on each node while Redis restarts${persistent ? ' (with persistence)' : ''}, and loses no message`, async () => {
      const redis = await ownRedis({ persistent })
      const prefix = testPrefix(redis.url)
      const logger = recordingLogger()
      const a = await startNode(prefix, { adapter: { url: redis.url, logger } })
      const b = await startNode(prefix, { adapter: { url: redis.url } })
      const events: string[] = []
      a.adapter.on('down', () => events.push('down'))
      a.adapter.on('up', ({ resent }) => events.push(`up:${resent > 0}`))
      const lost: string[] = []
      a.adapter.on('lost', ({ count }) => lost.push(`A lost ${count}`))
      b.adapter.on('lost', ({ count }) => lost.push(`B lost ${count}`))
      const onA = await reader(a, 'feed')
      const onB = await reader(b, 'feed')
      const N = 300
      let restarted: Promise<void> | undefined
      for (let i = 1; i <= N; i++) {
        void a.rt.to('feed').emit('n', ['a', i])
        void b.rt.to('feed').emit('n', ['b', i])
        if (i === 100) {
          await redis.kill()
          // While Redis is away, each node's own clients still get that node's messages.
          const before = onA.got.length
          await until(() => events.includes('down'), 10_000, 'the down event')
          void a.rt.to('feed').emit('n', ['a-local', 1])
          await until(() => onA.got.length > before && onA.got.some(([from]) => from === 'a-local'), 10_000, 'local delivery during the outage')
        }
        if (i === 200) restarted = redis.restart()
        await new Promise((resolve) => setTimeout(resolve, 3))
      }
      await restarted
      await until(() => onA.got.length >= 2 * N + 1 && onB.got.length >= 2 * N + 1, 30_000, 'every message on both nodes').catch((error: Error) => {
        throw new Error(`${error.message}: node A ${describeMissing(onA.got, ['a', 'b'], N)}; node B ${describeMissing(onB.got, ['a', 'b'], N)}; adapter events ${events.join(',')}; ${lost.join(', ') || 'nothing reported lost'}`)
      })
      await new Promise((resolve) => setTimeout(resolve, 200))
      expectEveryMessageOnce(onA.got, ['a', 'b'], N)
      expectEveryMessageOnce(onB.got, ['a', 'b'], N)
      expect(onA.got.length).toBe(2 * N + 1)
      expect(onB.got.length).toBe(2 * N + 1)
      expect(events).toEqual(['down', 'up:true'])
      expect(logger.lines.some((line) => line.level === 'warn' && /unreachable/.test(line.message))).toBe(true)
    }, 60_000)
  }

  it('keeps at most outageBuffer.messages broadcasts while Redis is away, and reports the dropped', async () => {
    const redis = await ownRedis()
    const prefix = testPrefix(redis.url)
    const a = await startNode(prefix, { adapter: { url: redis.url, outageBuffer: { messages: 10 } } })
    const b = await startNode(prefix, { adapter: { url: redis.url } })
    const onB = await reader(b, 'feed')
    const down = once(a.adapter, 'down', 10_000)
    await redis.kill()
    await down
    for (let i = 1; i <= 50; i++) await a.rt.to('feed').emit('n', ['a', i])
    expect(a.adapter.stats.buffered).toBe(10)
    const up = once<{ resent: number; dropped: number }>(a.adapter, 'up', 20_000)
    await redis.restart()
    expect(await up).toMatchObject({ resent: 10, dropped: 40 })
    await until(() => onB.got.length === 10, 10_000)
    expect(onB.got.map(([, n]) => n)).toEqual(Array.from({ length: 10 }, (_, i) => 41 + i))
  }, 30_000)

  it('takes a subscription to a room new to the node while Redis is away, without history, and delivers to it once Redis is back', async () => {
    const redis = await ownRedis()
    const prefix = testPrefix(redis.url)
    const a = await startNode(prefix, { adapter: { url: redis.url } })
    const b = await startNode(prefix, { adapter: { url: redis.url } })
    const client = await connectedClient(b.url)
    const got: unknown[] = []
    client.channel('fresh').on('n', (data) => got.push(data))
    const down = once(b.adapter, 'down', 10_000)
    await redis.kill()
    await down
    const started = Date.now()
    expect(await client.channel('fresh').subscribe()).toMatchObject({ recovered: false })
    expect(Date.now() - started).toBeLessThan(10_000)
    // This node's own broadcasts reach it at once.
    await b.rt.to('fresh').emit('n', 'local')
    await until(() => got.length === 1, 10_000)
    const up = once(b.adapter, 'up', 20_000)
    await redis.restart()
    await up
    await until(() => a.adapter.stats.up, 20_000, 'node A back')
    // The node subscribed to the room once Redis was back: another node's broadcasts reach it.
    for (let tries = 0; tries < 100 && got.length < 2; tries++) {
      await a.rt.to('fresh').emit('n', 'remote')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(got.slice(0, 2)).toEqual(['local', 'remote'])
  }, 40_000)

  it('closes with Redis down', async () => {
    const redis = await ownRedis()
    const prefix = testPrefix(redis.url)
    const a = await startNode(prefix, { adapter: { url: redis.url } })
    await reader(a, 'feed')
    await redis.kill()
    await until(() => !a.adapter.stats.up, 10_000)
    const started = Date.now()
    await a.rt.close()
    expect(Date.now() - started).toBeLessThan(5000)
  })
})
