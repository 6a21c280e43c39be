import { beforeAll, describe, expect, it } from 'vitest'
import { memoryCluster } from '../../../test/memory-cluster.js'
import { until } from '../../../test/support.js'
import { cuttable, followingCluster, member, presenceServer, recordEvents, shape, synced } from './support.js'

const HEARTBEAT_MS = 300

/** Adapters of in-memory clusters: one that follows rooms (as Redis), one that delivers every broadcast everywhere. */
const adapters = [
  { kind: 'an adapter that follows rooms, as Redis does', make: followingCluster },
  { kind: 'an adapter that delivers every broadcast to every node', make: memoryCluster },
]
let makeCluster = followingCluster

/** `count` servers sharing one in-memory cluster, each with the presence plugin; each can be cut off as by `kill -9`. */
async function cluster(count: number) {
  const shared = makeCluster()
  const start = async () => {
    const link = cuttable(shared.adapter())
    const server = await presenceServer({ heartbeatMs: HEARTBEAT_MS }, { adapter: link.adapter })
    return {
      ...server,
      /** Stops the node as `kill -9` would, as its peers see it: no goodbye, no more heartbeats, no leaves. */
      async kill(): Promise<void> {
        link.cut()
        await server.rt.close()
      },
    }
  }
  const nodes = []
  for (let i = 0; i < count; i++) nodes.push(await start())
  return { nodes, start }
}

describe.each(adapters)('presence across the servers of a cluster, with $kind', ({ make }) => {
  beforeAll(() => {
    makeCluster = make
  })

  it('shows the members of every node to the watchers of every node, one key across nodes as one member', async () => {
    const { nodes } = await cluster(3)
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]]
    const ada = await member(a.url, 'ada')
    const bob1 = await member(b.url, 'bob')
    const bob2 = await member(c.url, 'bob')
    const watcher = await member(c.url, 'watcher')
    await ada.presence.track({ on: 'a' })
    await bob1.presence.track({ on: 'b' })
    await bob2.presence.track({ on: 'c' })
    await until(() => shape(watcher.presence).bob === 2 && shape(watcher.presence).ada === 1, 5000, 'every member')
    await until(() => shape(ada.presence).bob === 2, 5000, 'ada sees both tabs of bob')
    for (const node of nodes) await until(() => node.tracker.count('room:1') === 2, 5000, 'every node counts two')
    const events = recordEvents(watcher.presence)
    bob1.client.disconnect()
    await until(() => shape(watcher.presence).bob === 1, 5000, 'one tab of bob')
    bob2.client.disconnect()
    await until(() => watcher.presence.get('bob') === undefined, 5000, 'bob gone')
    expect(events).toEqual(['update bob', 'leave bob'])
  })

  it('gives a node that starts later the state of the others when it first watches the channel', async () => {
    const { nodes, start } = await cluster(2)
    const ada = await member(nodes[0]!.url, 'ada')
    const bob = await member(nodes[1]!.url, 'bob')
    await ada.presence.track({})
    await bob.presence.track({})
    await until(() => ada.presence.count() === 2, 5000, 'both')
    const late = await start()
    // It learns a channel's members from the other nodes when a connection of it first watches it.
    expect(late.tracker.count('room:1')).toBe(0)
    const watcher = await member(late.url, 'watcher')
    await synced(watcher.presence)
    await until(() => shape(watcher.presence).ada === 1 && shape(watcher.presence).bob === 1, 5000, 'both, on the new node')
    expect(late.tracker.count('room:1')).toBe(2)
    const carl = await member(late.url, 'carl')
    await carl.presence.track({})
    await until(() => ada.presence.get('carl') !== undefined && watcher.presence.get('carl') !== undefined, 5000, 'carl everywhere')
  })

  it('removes the members of a killed node within three heartbeats, and they do not come back when it restarts', async () => {
    const { nodes, start } = await cluster(3)
    const [victim, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]]
    const ada = await member(victim.url, 'ada', 'room:1', { reconnection: false })
    const eve = await member(victim.url, 'eve', 'room:1', { reconnection: false })
    const bob = await member(b.url, 'bob')
    const watcher = await member(c.url, 'watcher')
    await ada.presence.track({})
    await eve.presence.track({})
    await bob.presence.track({})
    await until(() => watcher.presence.count() === 3, 5000, 'three members')
    const events = recordEvents(watcher.presence)

    const killedAt = Date.now()
    await victim.kill()
    await until(() => watcher.presence.count() === 1, 5000, 'the victim’s members gone')
    const tookMs = Date.now() - killedAt
    // Within three heartbeats (and some room for a loaded machine's timers); not before nearly
    // two have passed since the kill, as its last heartbeat came at most one before it.
    expect(tookMs).toBeLessThan(3 * HEARTBEAT_MS + 1000)
    expect(tookMs).toBeGreaterThanOrEqual(1.5 * HEARTBEAT_MS)
    expect(events.sort()).toEqual(['leave ada', 'leave eve'])
    expect(shape(bob.presence)).toEqual({ bob: 1 })
    expect(b.tracker.count('room:1')).toBe(1)
    expect(c.tracker.count('room:1')).toBe(1)

    // The restarted server is a new node: nothing of the old one comes back, on it or elsewhere.
    const restarted = await start()
    const late = await member(restarted.url, 'late')
    await synced(late.presence)
    await new Promise((resolve) => setTimeout(resolve, 3 * HEARTBEAT_MS))
    expect(shape(late.presence)).toEqual({ bob: 1 })
    expect(shape(watcher.presence)).toEqual({ bob: 1 })
    expect(restarted.tracker.list('room:1').map((m) => m.key)).toEqual(['bob'])
    expect(events.sort()).toEqual(['leave ada', 'leave eve'])
  })

  it('keeps the members of a node that is alive, past many heartbeats', async () => {
    const { nodes } = await cluster(2)
    const ada = await member(nodes[0]!.url, 'ada')
    const watcher = await member(nodes[1]!.url, 'watcher')
    await ada.presence.track({})
    await until(() => watcher.presence.count() === 1, 5000, 'ada')
    const events = recordEvents(watcher.presence)
    await new Promise((resolve) => setTimeout(resolve, 6 * HEARTBEAT_MS))
    expect(events).toEqual([])
    expect(shape(watcher.presence)).toEqual({ ada: 1 })
  })
})
