import { RealtimeClient } from '@org/realtime-client'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import { afterEach, describe, expect, it } from 'vitest'
import { bystanderClient } from '../../server/test/second-address.js'
import { table, type TableChange } from '../src/client.js'
import { setupNames, startChangesServer, useTestDatabase, waitFor } from './pg-support.js'
import { tcpProxy } from './tcp-proxy.js'

const database = useTestDatabase(`
  CREATE TABLE docs (id serial PRIMARY KEY, owner text NOT NULL, body text NOT NULL);
`)
const closers: Array<() => unknown> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

function client(url: string, auth?: unknown): RealtimeClient {
  const made = new RealtimeClient(url, { transports: [webSocketTransport()], auth })
  closers.push(() => made.disconnect())
  return made
}

const MB = 1024 * 1024

describe('big rows', () => {
  it('announces a row over maxRowBytes with a tooLarge marker and its primary key, and sends smaller ones whole', async () => {
    const names = await setupNames(database, ['docs'])
    const server = await startChangesServer(database, names)
    closers.push(() => server.rt.close())
    const docs = table(client(server.url), 'public:docs')
    const seen: TableChange[] = []
    docs.on('*', (change) => seen.push(change))
    await docs.subscribe()
    const started = performance.now()
    const big = await database.db.query<{ id: number }>(`INSERT INTO docs (owner, body) VALUES ('a', repeat('x', ${MB})) RETURNING id`)
    const writeMs = performance.now() - started
    await database.db.query(`INSERT INTO docs (owner, body) VALUES ('a', repeat('y', 100000))`)
    await waitFor(() => seen.length === 2, 20_000, 'both rows')
    expect(seen[0]).toMatchObject({ type: 'INSERT', tooLarge: true, key: { id: big.rows[0]?.id }, new: undefined })
    expect(seen[1]?.tooLarge).toBe(false)
    expect((seen[1]?.new?.body as string).length).toBe(100000)
    // The write itself waits for nothing of ours (generous bound for a loaded machine).
    expect(writeMs).toBeLessThan(5000)
  })

  it('sends a 5 MB row whole under raised limits', async () => {
    const names = await setupNames(database, ['docs'])
    const server = await startChangesServer(database, names, { maxPayload: 8 * MB }, { maxRowBytes: 7 * MB })
    closers.push(() => server.rt.close())
    const docs = table(client(server.url), 'public:docs')
    const seen: TableChange[] = []
    docs.on('INSERT', (change) => seen.push(change))
    await docs.subscribe()
    await database.db.query(`INSERT INTO docs (owner, body) VALUES ('a', repeat('z', ${5 * MB}))`)
    await waitFor(() => seen.length === 1, 30_000, 'the big row')
    expect(seen[0]?.tooLarge).toBe(false)
    expect((seen[0]?.new?.body as string).length).toBe(5 * MB)
  }, 60_000)
})

describe('authorization', () => {
  it('runs filterRow once per change and identity, for DELETEs too, and sends each user only their rows', async () => {
    const names = await setupNames(database, ['docs'], true)
    let calls = 0
    const server = await startChangesServer<{ user: string }>(
      database,
      names,
      { authenticate: (handshake) => handshake.auth as { user: string } },
      {
        identity: (conn) => conn.data.user,
        filterRow: (conn, row) => {
          calls++
          return row.owner === conn.data.user
        },
      },
    )
    closers.push(() => server.rt.close())
    const seenBy = new Map<string, TableChange[]>()
    const users = ['alice', 'alice', 'alice', 'bob', 'bob']
    await Promise.all(
      users.map(async (user, index) => {
        const docs = table(client(server.url, { user }), 'public:docs')
        const seen: TableChange[] = []
        seenBy.set(`${user}${index}`, seen)
        docs.on('*', (change) => seen.push(change))
        await docs.subscribe()
      }),
    )
    await database.db.query(`INSERT INTO docs (owner, body) VALUES ('alice', 'a1'), ('bob', 'b1')`)
    await database.db.query(`DELETE FROM docs WHERE owner = 'alice'`)
    await waitFor(() => [...seenBy].every(([who, seen]) => seen.length === (who.startsWith('alice') ? 2 : 1)), 15_000, 'every delivery')
    await new Promise((resolve) => setTimeout(resolve, 300))
    for (const [who, seen] of seenBy) {
      if (who.startsWith('alice')) expect(seen.map((change) => change.type)).toEqual(['INSERT', 'DELETE'])
      else expect(seen.map((change) => [change.type, change.new?.body])).toEqual([['INSERT', 'b1']])
    }
    // Three changes, two identities: six calls, not one per connection (fifteen).
    expect(calls).toBe(6)
  })

  it('does not replay a table guarded by filterRow: the client is told to refetch, and sees no row it may not', async () => {
    const names = await setupNames(database, ['docs'], true)
    const server = await startChangesServer<{ user: string }>(
      database,
      names,
      { authenticate: (handshake) => handshake.auth as { user: string } },
      { identity: (conn) => conn.data.user, filterRow: (conn, row) => row.owner === conn.data.user },
    )
    closers.push(() => server.rt.close())
    const proxy = await tcpProxy(server.port)
    closers.push(() => proxy.close())
    const alice = new RealtimeClient(`http://127.0.0.1:${proxy.port}/realtime`, { transports: [webSocketTransport()], auth: { user: 'alice' }, reconnection: { initialDelayMs: 50, maxDelayMs: 200 } })
    closers.push(() => alice.disconnect())
    const docs = table(alice, 'public:docs')
    const seen: TableChange[] = []
    const recovered: boolean[] = []
    docs.on('*', (change) => seen.push(change))
    docs.lifecycle.on('subscribed', (event) => recovered.push(event.recovered))
    await docs.subscribe()
    await database.db.query(`INSERT INTO docs (owner, body) VALUES ('alice', 'before')`)
    await waitFor(() => seen.length === 1, 15_000, 'the first row')
    proxy.cut()
    await database.db.query(`INSERT INTO docs (owner, body) VALUES ('bob', 'secret'), ('alice', 'while away')`)
    proxy.restore()
    await waitFor(() => recovered.length === 2, 15_000, 'the comeback')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(recovered).toEqual([false, false])
    expect(seen.map((change) => change.new?.body)).toEqual(['before'])
  })

  it('refuses a subscription past maxChannelsPerTable while a bystander keeps receiving changes', async () => {
    const names = await setupNames(database, ['docs'])
    const server = await startChangesServer(database, names, {}, { maxChannelsPerTable: 10 })
    closers.push(() => server.rt.close())
    const bystander = await bystanderClient(server.url)
    const watched = table(bystander, 'public:docs', { filter: 'owner=eq.carol' })
    const seen: TableChange[] = []
    watched.on('INSERT', (change) => seen.push(change))
    await watched.subscribe()
    const attacker = client(server.url)
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        table(attacker, 'public:docs', { filter: `owner=eq.x${i}` })
          .subscribe()
          .then(
            () => 'ok',
            (error: { code: string }) => error.code,
          ),
      ),
    )
    expect(outcomes.filter((outcome) => outcome === 'ok').length).toBeLessThanOrEqual(9)
    expect(outcomes.filter((outcome) => outcome === 'LIMIT_EXCEEDED').length).toBeGreaterThanOrEqual(11)
    await database.db.query(`INSERT INTO docs (owner, body) VALUES ('carol', 'c')`)
    await waitFor(() => seen.length === 1, 15_000, "the bystander's change")
    // A channel already in use stays open to everyone.
    const again = table(client(server.url), 'public:docs', { filter: 'owner=eq.carol' })
    await expect(again.subscribe()).resolves.toMatchObject({ recovered: false })
  })
})
