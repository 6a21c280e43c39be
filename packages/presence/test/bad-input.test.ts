import type { RealtimeClient, RealtimeError } from '@org/realtime-client'
import { describe, expect, it } from 'vitest'
import { connectedClient, once, until } from '../../../test/support.js'
import { presence, type Presence } from '../src/client.js'
import { authorizeAll, fromBystanderAddress, member, presenceServer, shape, synced } from './support.js'

/** The code `promise` rejects with. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as RealtimeError).code
  }
  throw new Error('it did not reject')
}

/** A bystander from 127.0.0.2 that tracks in room:1, and checks that it is still served: its update reaches `watcher`. */
async function bystander(url: string) {
  const { client, presence: p } = await member(url, 'bystander', 'room:1', fromBystanderAddress())
  await p.track({ n: 0 })
  let n = 0
  return {
    client,
    presence: p,
    async stillServed(watcher: Presence<any>): Promise<void> {
      n++
      const started = performance.now()
      await p.update({ n })
      await until(() => (watcher.get('bystander')?.metas[0]?.meta as { n: number } | undefined)?.n === n, 3000, 'the bystander update')
      expect(performance.now() - started).toBeLessThan(3000)
    },
  }
}

describe('presence authorization', () => {
  it("shows a channel's presence only to connections allowed to subscribe to the channel", async () => {
    const { url } = await presenceServer({}, { authorize: authorizeAll(['subscribe room:1 eve']) })
    const ada = await member(url, 'ada')
    await ada.presence.track({})
    const eve = await connectedClient(url, { auth: 'eve' })
    const eves = presence(eve.channel('room:1'))
    const refused: RealtimeError = await once(eves, 'error')
    expect(refused.code).toBe('FORBIDDEN')
    await expect(codeOf(eves.track({}))).resolves.toBe('FORBIDDEN')
    await expect(codeOf(eve.emitWithAck('presence:sync', { ch: 'room:1' }))).resolves.toBe('FORBIDDEN')
    expect(eves.count()).toBe(0)
    await until(() => ada.presence.count() === 1, 5000, 'ada sees herself')
    expect(shape(ada.presence)).toEqual({ ada: 1 })
  })

  it('needs its own permission to track: the app allows it as a publish on the presence channel', async () => {
    const { url } = await presenceServer({}, { authorize: authorizeAll(['publish presence:room:1 bob']) })
    const ada = await member(url, 'ada')
    await ada.presence.track({})
    const bob = await member(url, 'bob')
    await synced(bob.presence)
    await until(() => shape(bob.presence).ada === 1, 5000, 'bob sees ada')
    await expect(codeOf(bob.presence.track({}))).resolves.toBe('FORBIDDEN')
    expect(shape(ada.presence)).toEqual({ ada: 1 })
  })

  it('asks canTrack when the app gives it', async () => {
    const { url } = await presenceServer({ canTrack: (conn) => conn.data.userId !== 'guest' })
    const guest = await member(url, 'guest')
    await expect(codeOf(guest.presence.track({}))).resolves.toBe('FORBIDDEN')
    const ada = await member(url, 'ada')
    await ada.presence.track({})
    await until(() => shape(guest.presence).ada === 1, 5000, 'the guest sees ada')
  })

  it("lets no client publish on a presence channel or join the cluster's room", async () => {
    const { url } = await presenceServer()
    const ada = await member(url, 'ada')
    await ada.presence.track({ real: true })
    const eve = await member(url, 'eve')
    await synced(eve.presence)
    const forged = { n: 'x', s: 1, p: 0, j: [['x.1', 'mallory', {}, 0]] }
    await expect(codeOf(eve.client.channel('presence:room:1').publishWithAck('diff', forged))).resolves.toBe('FORBIDDEN')
    await expect(codeOf(eve.client.channel('presence:#cluster').subscribe())).resolves.toBe('FORBIDDEN')
    await expect(codeOf(eve.client.channel('presence:').subscribe())).resolves.toBe('FORBIDDEN')
    await until(() => shape(ada.presence).ada === 1, 5000, 'ada')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(shape(ada.presence)).toEqual({ ada: 1 })
    expect(shape(eve.presence)).toEqual({ ada: 1 })
  })
})

describe('presence bad input', () => {
  it('refuses an oversized meta with PAYLOAD_TOO_LARGE; the bystander and the others are unaffected', async () => {
    const { url } = await presenceServer({ maxMetaBytes: 100 })
    const ada = await member(url, 'ada')
    await ada.presence.track({ name: 'Ada' })
    const other = await bystander(url)
    const attacker = await member(url, 'mallory')
    await expect(codeOf(attacker.presence.track({ blob: 'x'.repeat(200) }))).resolves.toBe('PAYLOAD_TOO_LARGE')
    // Multi-byte characters count as their UTF-8 bytes: 40 × 3 bytes.
    await expect(codeOf(attacker.presence.track({ blob: '€'.repeat(40) }))).resolves.toBe('PAYLOAD_TOO_LARGE')
    await attacker.presence.track({ ok: true })
    await other.stillServed(ada.presence)
    await until(() => shape(ada.presence).mallory === 1, 5000, 'mallory with a small meta')
    expect(ada.presence.get('ada')?.metas[0]?.meta).toEqual({ name: 'Ada' })
  })

  it('refuses a track, an untrack or a sync without a subscription with FORBIDDEN', async () => {
    const { url } = await presenceServer()
    const client = await connectedClient(url, { auth: 'mallory' })
    await expect(codeOf(client.emitWithAck('presence:track', { ch: 'room:1', m: {} }))).resolves.toBe('FORBIDDEN')
    await expect(codeOf(client.emitWithAck('presence:sync', { ch: 'room:1' }))).resolves.toBe('FORBIDDEN')
    // Untracking what it does not track changes nothing.
    await expect(client.emitWithAck('presence:untrack', { ch: 'room:1' })).resolves.toEqual({})
  })

  it('refuses malformed presence requests with BAD_FRAME; the bystander is unaffected', async () => {
    const { url } = await presenceServer()
    const watcher = await member(url, 'watcher')
    const other = await bystander(url)
    const attacker = await member(url, 'mallory')
    await synced(attacker.presence)
    const client: RealtimeClient = attacker.client
    const malformed: Array<[string, unknown]> = [
      ['presence:track', 'room:1'],
      ['presence:track', null],
      ['presence:track', { ch: 5, m: {} }],
      ['presence:track', { ch: '', m: {} }],
      ['presence:track', { ch: 'x'.repeat(300), m: {} }],
      ['presence:track', { ch: 'room:1' }],
      ['presence:track', { ch: 'room:1', m: [1, 2] }],
      ['presence:track', { ch: 'room:1', m: 'text' }],
      ['presence:track', { ch: 'room:1', m: null }],
      ['presence:untrack', []],
      ['presence:sync', { ch: {} }],
    ]
    for (const [event, data] of malformed) {
      await expect(codeOf(client.emitWithAck(event, data)), `${event} ${JSON.stringify(data)}`).resolves.toBe('BAD_FRAME')
    }
    await other.stillServed(watcher.presence)
    expect(shape(watcher.presence)).toEqual({ bystander: 1 })
    expect(client.state).toBe('connected')
  })

  it('refuses a key past maxMetasPerKey and a channel past maxMetasPerChannel with LIMIT_EXCEEDED', async () => {
    const { url } = await presenceServer({ maxMetasPerKey: 2, maxMetasPerChannel: 4 })
    const watcher = await member(url, 'watcher')
    const tabs = await Promise.all([1, 2, 3].map(() => member(url, 'mallory')))
    await tabs[0]?.presence.track({})
    await tabs[1]?.presence.track({})
    await expect(codeOf(tabs[2]!.presence.track({}))).resolves.toBe('LIMIT_EXCEEDED')
    const others = await Promise.all(['a', 'b', 'c'].map((user) => member(url, user)))
    await others[0]?.presence.track({})
    await others[1]?.presence.track({})
    await expect(codeOf(others[2]!.presence.track({}))).resolves.toBe('LIMIT_EXCEEDED')
    // A tracked connection may still update its meta.
    await tabs[0]?.presence.update({ v: 2 })
    await until(() => watcher.presence.count() === 3, 5000, 'three members')
    expect(shape(watcher.presence)).toEqual({ a: 1, b: 1, mallory: 2 })
  })

  it('answers a flood of sync requests with RATE_LIMITED; the bystander is unaffected', async () => {
    const { url } = await presenceServer({ syncRate: { perSecond: 1, burst: 3 } }, { rateLimit: { messagesPerSecond: 1000, burst: 1000 } })
    const watcher = await member(url, 'watcher')
    const other = await bystander(url)
    const attacker = await member(url, 'mallory')
    await synced(attacker.presence)
    const codes = await Promise.all(
      Array.from({ length: 20 }, () => attacker.client.emitWithAck('presence:sync', { ch: 'room:1' }).then(() => 'ok', (error: RealtimeError) => error.code)),
    )
    expect(codes.filter((code) => code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(15)
    expect(codes.every((code) => code === 'ok' || code === 'RATE_LIMITED')).toBe(true)
    await other.stillServed(watcher.presence)
    expect(attacker.client.state).toBe('connected')
  })
})
