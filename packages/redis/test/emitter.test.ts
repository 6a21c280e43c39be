import { describe, expect, it } from 'vitest'
import { connectedClient, once, until } from '../../../test/support.js'
import { createRedisEmitter } from '../src/emitter.js'
import { closeAfter, REDIS_URL, startNode, testPrefix } from './redis-support.js'

describe('the emitter', () => {
  it('publishes from a process without clients to every node, with the offsets and history of the servers', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const b = await startNode(prefix)
    const emitter = await createRedisEmitter({ url: REDIS_URL, prefix })
    closeAfter(() => emitter.close())
    const onA = await connectedClient(a.url)
    const onB = await connectedClient(b.url)
    const gotA: Array<[unknown, number | undefined]> = []
    const gotB: Array<[unknown, number | undefined]> = []
    onA.channel('orders').on('shipped', (data, { offset }) => gotA.push([data, offset]))
    onB.channel('orders').on('shipped', (data, { offset }) => gotB.push([data, offset]))
    await onA.channel('orders').subscribe()
    await onB.channel('orders').subscribe()
    expect(await a.rt.to('orders').emit('shipped', { id: 1 })).toEqual([1])
    expect(await emitter.to('orders').emit('shipped', { id: 2 })).toEqual([2])
    expect(await b.rt.to('orders').emit('shipped', { id: 3 })).toEqual([3])
    await until(() => gotA.length === 3 && gotB.length === 3, 10_000)
    const expected = [
      [{ id: 1 }, 1],
      [{ id: 2 }, 2],
      [{ id: 3 }, 3],
    ]
    expect(gotA).toEqual(expected)
    expect(gotB).toEqual(expected)
    const page = await onB.channel('orders').history()
    expect(page.messages.map((message) => message.data)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }])
  })

  it('broadcasts to everyone, leaving out rooms', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const emitter = await createRedisEmitter({ url: REDIS_URL, prefix })
    closeAfter(() => emitter.close())
    const reached = await connectedClient(a.url)
    const left = await connectedClient(a.url)
    await left.channel('muted').subscribe()
    const heard: unknown[] = []
    left.on('announce', (data) => heard.push(data))
    const got = once(reached, 'announce', 10_000)
    expect(await emitter.except('muted').emit('announce', 'maintenance at noon')).toEqual([])
    expect(await got).toBe('maintenance at noon')
    const next = once(left, 'after', 10_000)
    await emitter.emit('after')
    await next
    expect(heard).toEqual([])
  })

  it('refuses data that is not JSON, and fails clearly without Redis', async () => {
    const prefix = testPrefix()
    const emitter = await createRedisEmitter({ url: REDIS_URL, prefix })
    closeAfter(() => emitter.close())
    await expect(emitter.to('x').emit('bad', { n: 1n })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' })
    await expect(createRedisEmitter({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 2000 })).rejects.toMatchObject({ code: 'CLOSED' })
  })
})
