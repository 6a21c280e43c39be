import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { createClient, once, until } from '../../../test/support.js'
import { bystanderClient } from '../../server/test/second-address.js'
import { closeAfter, recordingLogger, REDIS_URL, startNode, testPrefix } from './redis-support.js'

describe('attacks on a node of the cluster', () => {
  it('cannot make a node follow more rooms than its connection and subscription limits allow, while a bystander keeps receiving', async () => {
    const prefix = testPrefix()
    const server = { rateLimit: { subscriptionsPerConnection: 20, connectionsPerIp: 5 } }
    const a = await startNode(prefix, { server })
    const b = await startNode(prefix, { server })
    const bystander = await bystanderClient(b.url)
    const got: number[] = []
    bystander.channel('news').on('n', (n: number) => got.push(n))
    await bystander.channel('news').subscribe()
    // The attacker, from 127.0.0.1: as many connections as it may open, each subscribing to 30 rooms.
    const attempts: Array<Promise<unknown>> = []
    for (let c = 0; c < 8; c++) {
      const attacker = createClient(b.url, { reconnection: false })
      attempts.push(
        once(attacker.lifecycle, 'connect', 5000).then(
          () => Promise.allSettled(Array.from({ length: 30 }, (_, r) => attacker.channel(`spam:${c}:${r}`).subscribe())),
          () => undefined,
        ),
      )
    }
    await Promise.all(attempts)
    // It got what the limits let it have, and no more.
    expect(b.adapter.stats.followed).toBeGreaterThan(20)
    expect(b.adapter.stats.followed).toBeLessThanOrEqual(5 * 20 + 1)
    for (let n = 1; n <= 20; n++) await a.rt.to('news').emit('n', n)
    await until(() => got.length === 20, 10_000, 'the bystander gets every message')
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
  })

  it('ignores a flood of foreign messages on the app channels, logging a few lines, while a bystander keeps receiving in order', async () => {
    const prefix = testPrefix()
    const logger = recordingLogger()
    const a = await startNode(prefix)
    const b = await startNode(prefix, { adapter: { logger } })
    const bystander = await bystanderClient(b.url)
    const got: number[] = []
    bystander.channel('news').on('n', (n: number) => got.push(n))
    await bystander.channel('news').subscribe()
    const flooder = new Redis(REDIS_URL)
    closeAfter(async () => flooder.disconnect())
    const flood = (async () => {
      for (let i = 0; i < 50; i++) {
        const pipeline = flooder.pipeline()
        for (let j = 0; j < 100; j++) pipeline.spublish(`${prefix}{news}:c`, j % 2 === 0 ? 'garbage' : '[9,"x",1,0]\n[]')
        await pipeline.exec()
      }
    })()
    for (let n = 1; n <= 50; n++) await a.rt.to('news').emit('n', n)
    await flood
    await until(() => got.length === 50, 15_000, 'the bystander gets every message')
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    await until(() => b.adapter.stats.ignored === 5000, 15_000, 'every foreign message heard and ignored')
    expect(logger.lines.filter((line) => line.level === 'warn').length).toBeLessThanOrEqual(2)
  })
})
