import { memoryAdapter, type HistoryStore } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { slowHistoryAdapter } from '../../../test/slow-history-adapter.js'
import { connectedClient, describeTransports, rawPeer, startServer, until } from '../../../test/support.js'

/** Publishes `count` numbered messages to `room`, one every event-loop turn or so; resolves when all went out. */
async function pump(emit: (n: number) => Promise<unknown>, count: number): Promise<void> {
  const sent: Array<Promise<unknown>> = []
  for (let n = 1; n <= count; n++) {
    sent.push(emit(n))
    await new Promise((resolve) => setImmediate(resolve))
  }
  await Promise.all(sent)
}

describeTransports('a channel history that answers later', () => {
  it('meets a resubscription replay with live messages, with no gap and no duplicate', async () => {
    const adapter = slowHistoryAdapter()
    const { rt, port } = await startServer({ authorize: () => true, adapter })
    await rt.to('feed').emit('m', 0)
    const history = adapter.history as HistoryStore
    const { epoch } = await history.position('feed')
    const peer = await rawPeer(port)
    await peer.handshake()
    // Messages keep coming while the subscriber asks for everything after offset 1.
    const publishing = pump((n) => rt.to('feed').emit('m', n), 300)
    await new Promise((resolve) => setTimeout(resolve, 20))
    peer.send({ t: 'sub', id: 1, ch: ['feed'], since: { feed: { epoch, offset: 1 } } })
    await publishing
    const ack = await peer.next((frame) => frame.t === 'ack' && frame.id === 1)
    expect(ack.d[0]).toMatchObject({ ch: 'feed', recovered: true })
    await until(() => peer.frames.some((frame) => Array.isArray(frame) && frame[1] === 301), 5000, 'the last message')
    const offsets = peer.frames.filter((frame) => Array.isArray(frame)).map((frame) => frame[1] as number)
    expect(offsets).toEqual(Array.from({ length: 300 }, (_, index) => index + 2))
  })
})

describe('broadcast offsets', () => {
  it('resolves emit with the offset the event got in each room, with the memory adapter and with one that answers later', async () => {
    for (const adapter of [memoryAdapter(), slowHistoryAdapter()]) {
      const { rt } = await startServer({ adapter })
      await expect(rt.to('a').emit('m', 1)).resolves.toEqual([1])
      await expect(rt.to(['a', 'b']).emit('m', 2)).resolves.toEqual([2, 1])
      await expect(rt.emit('to-everyone')).resolves.toEqual([])
    }
  })

  it('reads a history page from a store that answers later', async () => {
    const { rt, url } = await startServer({ authorize: () => true, adapter: slowHistoryAdapter() })
    for (let n = 1; n <= 5; n++) await rt.to('feed').emit('m', n)
    const client = await connectedClient(url)
    const page = await client.channel('feed').history({ since: 2 })
    expect(page.messages.map((message) => message.data)).toEqual([3, 4, 5])
  })

  it('delivers rt.local broadcasts to this node, with offsets like any other', async () => {
    const { rt, url } = await startServer({ authorize: () => true })
    const client = await connectedClient(url)
    const received: unknown[] = []
    client.channel('here').on('m', (data) => void received.push(data))
    await client.channel('here').subscribe()
    await expect(rt.local.to('here').emit('m', 'local')).resolves.toEqual([1])
    await until(() => received.length === 1, 2000, 'the local broadcast')
    expect(received).toEqual(['local'])
  })
})
