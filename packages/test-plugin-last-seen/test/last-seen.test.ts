import { readFileSync } from 'node:fs'
import type { Connection } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { connectedClient, describeTransports, once, startServer } from '../../../test/support.js'
import { lastSeen } from '../src/index.js'

/** A server whose connections are users named by their `auth`, with the plugin. */
async function setup() {
  const seen = lastSeen<{ userId: string }>({ user: (data) => data.userId, maxRemembered: 2 })
  const server = await startServer<{ userId: string }>({ authenticate: ({ auth }) => ({ userId: String(auth) }), plugins: [seen] })
  return { ...server, seen }
}

describeTransports('the last-seen plugin', () => {
  it('sees a user online while any of their tabs is connected, and remembers when the last one left', async () => {
    const { rt, url, seen } = await setup()
    const tab1 = await connectedClient(url, { auth: 'ada' })
    const tab2 = await connectedClient(url, { auth: 'ada' })
    expect(seen.status('ada')).toBe('online')
    const first = once(rt, 'disconnect')
    tab1.disconnect()
    await first
    expect(seen.status('ada')).toBe('online')
    const before = Date.now()
    const last = once(rt, 'disconnect')
    tab2.disconnect()
    await last
    expect(seen.status('ada')).toEqual({ at: expect.any(Number) })
    expect((seen.status('ada') as { at: number }).at).toBeGreaterThanOrEqual(before)
  })

  it('shows a user whose only connection dropped as away at once, and online again when it resumes', async () => {
    const { rt, url, seen } = await setup()
    const client = await connectedClient(url, { auth: 'bob' })
    const conn = rt.connections.get(client.id as string) as Connection<{ userId: string }>
    const detached = once(rt, 'detached')
    const resumed = once(rt, 'resumed')
    conn.terminate()
    await detached
    expect(seen.status('bob')).toBe('away')
    await resumed
    expect(seen.status('bob')).toBe('online')
  })

  it('answers a client asking when another user was last seen, and forgets the longest gone past maxRemembered', async () => {
    const { rt, url } = await setup()
    const asker = await connectedClient(url, { auth: 'eve' })
    for (const user of ['u1', 'u2', 'u3']) {
      const client = await connectedClient(url, { auth: user })
      const ended = once(rt, 'disconnect')
      client.disconnect()
      await ended
    }
    await expect(asker.emitWithAck('last-seen', 'eve')).resolves.toBe('online')
    await expect(asker.emitWithAck('last-seen', 'u3')).resolves.toEqual({ at: expect.any(Number) })
    await expect(asker.emitWithAck('last-seen', 'u1')).resolves.toBeNull()
    await expect(asker.emitWithAck('last-seen', 'nobody')).resolves.toBeNull()
  })
})

describe('the last-seen plugin source', () => {
  it('imports nothing but the public entry points of the packages', () => {
    const source = readFileSync(new URL('../src/index.ts', import.meta.url), 'utf8')
    const imported = [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1])
    expect(imported.length).toBeGreaterThan(0)
    for (const path of imported) expect(['@org/realtime-server', '@org/realtime-core', '@org/realtime-client']).toContain(path)
  })
})
