import { describe, expect, it } from 'vitest'
import { collect, connectedClient, once, transportCases, until } from '../../../test/support.js'
import { keysUnder, startNode, testPrefix } from './redis-support.js'

describe('broadcasts across nodes', () => {
  it('delivers rt.to(room).emit() to the members on every node, with one offset sequence', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const b = await startNode(prefix)
    const onA = await connectedClient(a.url)
    const onB = await connectedClient(b.url)
    const gotA: Array<[unknown, number | undefined]> = []
    const gotB: Array<[unknown, number | undefined]> = []
    onA.channel('room:1').on('msg', (data, { offset }) => gotA.push([data, offset]))
    onB.channel('room:1').on('msg', (data, { offset }) => gotB.push([data, offset]))
    await onA.channel('room:1').subscribe()
    await onB.channel('room:1').subscribe()
    for (let i = 1; i <= 10; i++) {
      const offsets = await (i % 2 === 0 ? a : b).rt.to('room:1').emit('msg', i)
      expect(offsets).toEqual([i])
    }
    await until(() => gotA.length === 10 && gotB.length === 10, 10_000, 'ten messages on both nodes')
    const expected = Array.from({ length: 10 }, (_, i) => [i + 1, i + 1])
    expect(gotA).toEqual(expected)
    expect(gotB).toEqual(expected)
  })

  it('keeps one order per room when two nodes publish at once', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const b = await startNode(prefix)
    const onA = await connectedClient(a.url)
    const onB = await connectedClient(b.url)
    const gotA: number[] = []
    const gotB: number[] = []
    onA.channel('race').on('msg', (_data, { offset }) => gotA.push(offset as number))
    onB.channel('race').on('msg', (_data, { offset }) => gotB.push(offset as number))
    await onA.channel('race').subscribe()
    await onB.channel('race').subscribe()
    await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).rt.to('race').emit('msg', i)))
    await until(() => gotA.length === 200 && gotB.length === 200, 15_000, '200 messages on both nodes')
    const inOrder = Array.from({ length: 200 }, (_, i) => i + 1)
    expect(gotA).toEqual(inOrder)
    expect(gotB).toEqual(inOrder)
  })

  it('delivers a broadcast to several rooms once to a connection in more than one of them', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const b = await startNode(prefix)
    const both = await connectedClient(b.url)
    const onlySecond = await connectedClient(b.url)
    const gotBoth: unknown[] = []
    const gotSecond: unknown[] = []
    for (const room of ['r1', 'r2']) both.channel(room).on('msg', (data) => gotBoth.push(data))
    onlySecond.channel('r2').on('msg', (data) => gotSecond.push(data))
    await both.channel('r1').subscribe()
    await both.channel('r2').subscribe()
    await onlySecond.channel('r2').subscribe()
    expect(await a.rt.to(['r1', 'r2']).emit('msg', 'once')).toEqual([1, 1])
    await a.rt.to('r2').emit('msg', 'after')
    await until(() => gotSecond.length === 2, 10_000, 'both messages on r2')
    await until(() => gotBoth.length >= 2, 10_000)
    expect(gotBoth).toEqual(['once', 'after'])
    expect(gotSecond).toEqual(['once', 'after'])
  })

  it('delivers a broadcast to everyone on every node, and except leaves out rooms on every node', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const b = await startNode(prefix)
    const onA = await connectedClient(a.url)
    const onB = await connectedClient(b.url)
    const quiet = await connectedClient(b.url)
    await quiet.channel('muted').subscribe()
    const heardA = once(onA, 'hello', 10_000)
    const heardB = once(onB, 'hello', 10_000)
    const heardQuiet = collect(quiet, 'hello')
    await a.rt.except('muted').emit('hello', { from: 'a' })
    expect(await heardA).toEqual({ from: 'a' })
    expect(await heardB).toEqual({ from: 'a' })
    // A later broadcast that reaches `quiet` proves the first had its chance.
    const next = once(quiet, 'bye', 10_000)
    await a.rt.emit('bye')
    await next
    expect(heardQuiet).toEqual([])
  })

  it('keeps rt.local broadcasts on their node, in the room history', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const b = await startNode(prefix)
    const onA = await connectedClient(a.url)
    const onB = await connectedClient(b.url)
    const gotA: unknown[] = []
    const gotB: unknown[] = []
    onA.channel('loc').on('msg', (data) => gotA.push(data))
    onB.channel('loc').on('msg', (data) => gotB.push(data))
    await onA.channel('loc').subscribe()
    await onB.channel('loc').subscribe()
    expect(await a.rt.local.to('loc').emit('msg', 'local')).toEqual([1])
    expect(await a.rt.to('loc').emit('msg', 'everywhere')).toEqual([2])
    await until(() => gotA.length === 2 && gotB.length === 1, 10_000)
    expect(gotA).toEqual(['local', 'everywhere'])
    expect(gotB).toEqual(['everywhere'])
  })

  it('carries client publishes to the subscribers on the other nodes', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix)
    const b = await startNode(prefix)
    const publisher = await connectedClient(a.url)
    const reader = await connectedClient(b.url)
    const got: unknown[] = []
    reader.channel('chat').on('said', (data) => got.push(data))
    await reader.channel('chat').subscribe()
    await publisher.channel('chat').subscribe()
    publisher.channel('chat').publish('said', 'hi')
    await until(() => got.length === 1, 10_000, 'the publish on the other node')
    expect(got).toEqual(['hi'])
  })

  it('carries broadcasts between nodes without history when recovery is off, and keeps nothing in Redis', async () => {
    const prefix = testPrefix()
    const a = await startNode(prefix, { server: { recovery: false } })
    const b = await startNode(prefix, { server: { recovery: false } })
    const onA = await connectedClient(a.url)
    const onB = await connectedClient(b.url)
    const gotA: Array<[unknown, number | undefined]> = []
    const gotB: Array<[unknown, number | undefined]> = []
    onA.channel('plain').on('msg', (data, { offset }) => gotA.push([data, offset]))
    onB.channel('plain').on('msg', (data, { offset }) => gotB.push([data, offset]))
    await onA.channel('plain').subscribe()
    await onB.channel('plain').subscribe()
    expect(await a.rt.to('plain').emit('msg', 1)).toEqual([])
    expect(await b.rt.to('plain').emit('msg', 2)).toEqual([])
    await until(() => gotA.length === 2 && gotB.length === 2, 10_000)
    expect(gotA.map(([data]) => data).sort()).toEqual([1, 2])
    expect(gotB.map(([data]) => data).sort()).toEqual([1, 2])
    expect(gotA.every(([, offset]) => offset === undefined)).toBe(true)
    expect(await keysUnder(prefix)).toEqual([])
  })

  for (const transport of transportCases) {
    it(`delivers across nodes to clients on ${transport.name}`, async () => {
      const prefix = testPrefix()
      const a = await startNode(prefix)
      const b = await startNode(prefix)
      const client = await connectedClient(b.url, { transports: [transport.client()] })
      const got: Array<[unknown, number | undefined]> = []
      client.channel('t').on('msg', (data, { offset }) => got.push([data, offset]))
      await client.channel('t').subscribe()
      await a.rt.to('t').emit('msg', 'one')
      await b.rt.to('t').emit('msg', 'two')
      await until(() => got.length === 2, 10_000)
      expect(got).toEqual([
        ['one', 1],
        ['two', 2],
      ])
    })
  }
})
