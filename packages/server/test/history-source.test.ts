import { MemoryHistory, memoryAdapter, type RealtimePlugin } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { connectedClient, rawPeer, startServer, until } from '../../../test/support.js'

/** A plugin that claims `db:` and keeps its channels' history itself, as the database-changes plugin will. */
function ownHistory(): { plugin: RealtimePlugin; history: MemoryHistory } {
  const history = new MemoryHistory({ size: 100, ageMs: 60_000 })
  return { history, plugin: { name: 'db-like', namespaces: ['db:'], history, onClose: () => history.close() } }
}

describe('a plugin namespace with its own history', () => {
  it('keeps its channels history in the plugin store, and serves offsets, recovery and history pages from it', async () => {
    const { plugin, history } = ownHistory()
    const adapter = memoryAdapter()
    const { rt, port, url } = await startServer({ authorize: () => true, adapter, plugins: [plugin] })
    for (let n = 1; n <= 3; n++) await expect(rt.to('db:todos').emit('change', n)).resolves.toEqual([n])
    await rt.to('plain').emit('m', 'elsewhere')
    // The plugin's store holds the namespace; the adapter's does not.
    expect(history.peek('db:todos')?.offset).toBe(3)
    expect(await adapter.history?.peek('db:todos')).toBeUndefined()
    expect(await adapter.history?.peek('plain')).toMatchObject({ offset: 1 })
    // A history page and a resubscription from an offset read the plugin's store.
    const client = await connectedClient(url)
    const page = await client.channel('db:todos').history()
    expect(page.messages.map((message) => message.data)).toEqual([1, 2, 3])
    expect(page.epoch).toBe(history.peek('db:todos')?.epoch)
    const peer = await rawPeer(port)
    await peer.handshake()
    peer.send({ t: 'sub', id: 1, ch: ['db:todos'], since: { 'db:todos': { epoch: page.epoch, offset: 1 } } })
    const ack = await peer.next((frame) => frame.t === 'ack' && frame.id === 1)
    expect(ack.d[0]).toMatchObject({ ch: 'db:todos', recovered: true })
    await until(() => peer.frames.filter((frame) => Array.isArray(frame)).length === 2, 2000, 'the replay')
    expect(peer.frames.filter((frame) => Array.isArray(frame)).map((frame) => frame[1])).toEqual([2, 3])
  })
})
