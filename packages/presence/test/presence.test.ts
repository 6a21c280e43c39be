import type { BroadcastPacket } from '@org/realtime-server'
import { memoryAdapter } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { describeTransports, once, until } from '../../../test/support.js'
import type { PresenceMember } from '../src/client.js'
import { connectionOf, member, presenceServer, recordEvents, shape, synced } from './support.js'

describe('presence on one server', () => {
  it('shows three tabs of one user as one member with three metas, and a leave only when the last goes', async () => {
    const { url, tracker } = await presenceServer()
    const bob = await member(url, 'bob')
    await synced(bob.presence)
    const events = recordEvents(bob.presence)
    const tabs = await Promise.all([1, 2, 3].map(() => member(url, 'ada')))
    for (const [i, tab] of tabs.entries()) await tab.presence.track({ tab: i })
    await until(() => shape(bob.presence).ada === 3, 5000, 'three metas of ada')
    expect(events[0]).toBe('join ada')
    expect(events.filter((e) => e === 'join ada')).toHaveLength(1)
    expect(bob.presence.count()).toBe(1)
    expect(tracker.count('room:1')).toBe(1)
    expect(tracker.list('room:1')[0]?.metas).toHaveLength(3)

    tabs[0]?.client.disconnect()
    tabs[1]?.presence.stop()
    await until(() => shape(bob.presence).ada === 1, 5000, 'one meta of ada')
    expect(events).not.toContain('leave ada')
    await tabs[2]?.presence.untrack()
    await until(() => events.includes('leave ada'), 5000, 'leave ada')
    expect(bob.presence.count()).toBe(0)
    expect(events.filter((e) => e.endsWith('ada') && e !== 'update ada')).toEqual(['join ada', 'leave ada'])
  })

  it('takes the key from the authenticated identity, not from what the client sends', async () => {
    const { url } = await presenceServer()
    const eve = await member(url, 'eve')
    await eve.presence.track({ key: 'ada', userId: 'ada' })
    await until(() => eve.presence.count() === 1, 5000, 'eve tracked')
    expect(eve.presence.list().map((m) => m.key)).toEqual(['eve'])
    expect(eve.presence.get('eve')?.metas[0]).toEqual({ ref: eve.presence.ref, meta: { key: 'ada', userId: 'ada' }, away: false })
  })

  it('reports a re-track and an update as exactly one update each, never a leave and a join', async () => {
    const { url } = await presenceServer()
    const bob = await member(url, 'bob')
    const ada = await member(url, 'ada')
    await ada.presence.track({ status: 'here' })
    await until(() => bob.presence.get('ada') !== undefined, 5000, 'ada')
    const events = recordEvents(bob.presence)
    await ada.presence.track({ status: 'typing' })
    await until(() => events.length === 1, 5000, 'one event')
    await ada.presence.update({ status: 'idle' })
    await until(() => events.length === 2, 5000, 'two events')
    // The same meta again changes nothing.
    await ada.presence.update({ status: 'idle' })
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(events).toEqual(['update ada', 'update ada'])
    expect(bob.presence.get('ada')?.metas.map((m) => m.meta)).toEqual([{ status: 'idle' }])
  })

  it('marks a dropped connection away, and back when it resumes, with no leave and no join', async () => {
    const { rt, url } = await presenceServer()
    const bob = await member(url, 'bob')
    // Away for 300 ms or more: longer than the batch window, so that it shows.
    const ada = await member(url, 'ada', 'room:1', { reconnection: { initialDelayMs: 300, maxDelayMs: 300, jitter: 0 } })
    await ada.presence.track({ name: 'Ada' })
    await until(() => bob.presence.get('ada') !== undefined, 5000, 'ada')
    const events = recordEvents(bob.presence)
    const away: boolean[] = []
    bob.presence.on('update', (m: PresenceMember) => away.push(m.metas[0]?.away === true))
    const resumed = once(rt, 'resumed')
    connectionOf(rt, ada.client).terminate()
    await resumed
    await until(() => away.length === 2, 5000, `away and back, ${JSON.stringify(events)} ${JSON.stringify(away)}`)
    expect(away).toEqual([true, false])
    expect(events).toEqual(['update ada', 'update ada'])
    expect(bob.presence.get('ada')?.metas).toEqual([{ ref: ada.presence.ref, meta: { name: 'Ada' }, away: false }])
  })

  it('removes a connection that does not come back when its session ends', async () => {
    const { rt, url } = await presenceServer({}, { recovery: { windowMs: 300 } })
    const bob = await member(url, 'bob')
    const ada = await member(url, 'ada', 'room:1', { reconnection: false })
    await ada.presence.track({})
    await until(() => bob.presence.get('ada') !== undefined, 5000, 'ada')
    const events = recordEvents(bob.presence)
    const ended = once(rt, 'disconnect')
    connectionOf(rt, ada.client).terminate()
    await ended
    await until(() => events.includes('leave ada'), 5000, 'leave ada')
    expect(events).toEqual(['update ada', 'leave ada'])
  })

  it('removes a connection that dies silently: away after the heartbeat timeout, gone when the recovery window ends', async () => {
    const { url, port } = await presenceServer({}, { pingIntervalMs: 150, pingTimeoutMs: 150, recovery: { windowMs: 400 } })
    const bob = await member(url, 'bob')
    await synced(bob.presence)
    const events = recordEvents(bob.presence)
    const { rawSocket } = await import('../../../test/support.js')
    const silent = await rawSocket(port)
    await silent.send({ t: 'hello', v: 1, auth: 'ghost', recoverable: true })
    await silent.next((frame) => frame.t === 'welcome')
    silent.send({ t: 'sub', id: 1, ch: ['presence:room:1'] })
    await silent.next((frame) => frame.t === 'ack' && frame.id === 1)
    silent.send({ t: 'event', e: 'presence:track', d: { ch: 'room:1', m: { name: 'Ghost' } }, id: 2, s: 1 })
    await silent.next((frame) => frame.t === 'ack' && frame.id === 2)
    // It never answers a ping.
    const started = Date.now()
    await until(() => events.includes('leave ghost'), 5000, 'leave ghost')
    expect(events).toEqual(['join ghost', 'update ghost', 'leave ghost'])
    expect(Date.now() - started).toBeGreaterThanOrEqual(400)
  })

  it('batches the joins of many connections within the window into a few diffs, each member once', async () => {
    const diffs: BroadcastPacket[] = []
    const memory = memoryAdapter()
    const counting = {
      ...memory,
      init: memory.init,
      get history() {
        return memory.history
      },
      broadcast: (packet: BroadcastPacket, options?: { local?: boolean }) => {
        if (packet.event === 'diff') diffs.push(packet)
        return memory.broadcast(packet, options)
      },
    }
    const { url } = await presenceServer({ batchMs: 300 }, { adapter: counting })
    const bob = await member(url, 'bob')
    await synced(bob.presence)
    const members = await Promise.all(Array.from({ length: 20 }, (_, i) => member(url, `user${i}`)))
    await Promise.all(members.map((m, i) => m.presence.track({ i })))
    await until(() => bob.presence.count() === 20, 5000, '20 members')
    // The first track goes at once, the others gathered: a few diffs, each member once in all.
    expect(diffs.length).toBeLessThanOrEqual(3)
    const joined = diffs.flatMap((packet) => (JSON.parse(packet.json as string) as { j: unknown[] }).j)
    expect(joined).toHaveLength(20)
  })

  it('coalesces a flood of updates: the channel stays open, few diffs travel and the last meta wins', async () => {
    const { url } = await presenceServer({ batchMs: 50 })
    const bob = await member(url, 'bob')
    const ada = await member(url, 'ada')
    await ada.presence.track({ n: 0 })
    await until(() => bob.presence.get('ada') !== undefined, 5000, 'ada')
    let updates = 0
    bob.presence.on('update', () => updates++)
    const errors: unknown[] = []
    ada.client.lifecycle.on('error', (error) => errors.push(error))
    const flood = Array.from({ length: 1000 }, (_, n) => ada.presence.update({ n: n + 1 }))
    await Promise.all(flood)
    await until(() => (bob.presence.get('ada')?.metas[0]?.meta as { n: number }).n === 1000, 5000, 'the last meta')
    expect(updates).toBeLessThan(20)
    expect(errors).toEqual([])
    expect(ada.client.state).toBe('connected')
  })

  it('counts members and pages the list', async () => {
    const { url } = await presenceServer()
    const watcher = await member(url, 'watcher')
    const members = await Promise.all(Array.from({ length: 12 }, (_, i) => member(url, `user${String(i).padStart(2, '0')}`)))
    for (const m of members) await m.presence.track({})
    await until(() => watcher.presence.count() === 12, 5000, '12 members')
    const pages: string[][] = []
    let after: string | undefined
    for (let page = 0; page < 5; page++) {
      const list = watcher.presence.list({ after, limit: 5 })
      if (list.length === 0) break
      pages.push(list.map((m) => m.key))
      after = list.at(-1)?.key
    }
    expect(pages.map((page) => page.length)).toEqual([5, 5, 2])
    expect(pages.flat().sort()).toEqual(members.map((_, i) => `user${String(i).padStart(2, '0')}`))
  })

  it('sends the state to a late watcher once, then only diffs', async () => {
    const { url } = await presenceServer()
    const ada = await member(url, 'ada')
    await ada.presence.track({ x: 1 })
    await until(() => ada.presence.count() === 1, 5000, 'ada published')
    const late = await member(url, 'late')
    const events = recordEvents(late.presence)
    await synced(late.presence)
    expect(events).toEqual(['sync ada'])
    const bob = await member(url, 'bob')
    await bob.presence.track({})
    await until(() => events.length === 2, 5000, 'join bob')
    expect(events).toEqual(['sync ada', 'join bob'])
  })
})

describeTransports('presence', () => {
  it('tracks, shows and removes members', async () => {
    const { url } = await presenceServer()
    const ada = await member(url, 'ada')
    const bob = await member(url, 'bob')
    await ada.presence.track({ name: 'Ada' })
    await bob.presence.track({ name: 'Bob' })
    await until(() => shape(ada.presence).bob === 1 && shape(bob.presence).ada === 1, 5000, 'both see both')
    bob.client.disconnect()
    await until(() => ada.presence.get('bob') === undefined, 5000, 'bob gone')
    expect(shape(ada.presence)).toEqual({ ada: 1 })
  })
})
