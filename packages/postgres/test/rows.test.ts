import { RealtimeClient } from '@org/realtime-client'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import { afterEach, describe, expect, it } from 'vitest'
import { bystanderClient } from '../../server/test/second-address.js'
import { table, type TableChange, type TableEvents } from '../src/client.js'
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

/** A server of the `docs` table whose rows each user sees only when they own them (`filterRow`). */
async function startOwnedDocsServer() {
  const names = await setupNames(database, ['docs'], true)
  const server = await startChangesServer<{ user: string }>(
    database,
    names,
    { authenticate: (handshake) => handshake.auth as { user: string } },
    { identity: (conn) => conn.data.user, filterRow: (conn, row) => row.owner === conn.data.user },
  )
  closers.push(() => server.rt.close())
  return server
}

/** A WebSocket client of `user` on `port` that comes back within 200 ms of a cut. */
function quickClient(port: number, user: string): RealtimeClient {
  const made = new RealtimeClient(`http://127.0.0.1:${port}/realtime`, { transports: [webSocketTransport()], auth: { user }, reconnection: { initialDelayMs: 50, maxDelayMs: 200 } })
  closers.push(() => made.disconnect())
  return made
}

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

  it('replays a table guarded by filterRow through it: a returning client misses nothing it may see and gets nothing it may not', async () => {
    const server = await startOwnedDocsServer()
    const proxy = await tcpProxy(server.port)
    closers.push(() => proxy.close())
    const alice = quickClient(proxy.port, 'alice')
    const docs = table(alice, 'public:docs')
    const seen: TableChange[] = []
    const recovered: boolean[] = []
    docs.on('*', (change) => seen.push(change))
    docs.lifecycle.on('subscribed', (event) => recovered.push(event.recovered))
    await docs.subscribe()
    const kept = await database.db.query<{ id: number }>(`INSERT INTO docs (owner, body) VALUES ('alice', 'before'), ('alice', 'given away'), ('alice', 'deleted') RETURNING id`)
    await waitFor(() => seen.length === 3, 15_000, 'the first rows')
    const [, given, deleted] = kept.rows.map((row) => row.id)
    proxy.cut()
    await database.db.query(`INSERT INTO docs (owner, body) VALUES ('bob', 'secret'), ('alice', 'while away'), ('bob', 'secret 2')`)
    await database.db.query(`UPDATE docs SET owner = 'bob', body = 'now bobs' WHERE id = $1`, [given])
    await database.db.query(`DELETE FROM docs WHERE id = $1`, [deleted])
    await database.db.query(`INSERT INTO docs (owner, body) VALUES ('alice', 'last')`)
    proxy.restore()
    await waitFor(() => recovered.length === 2 && seen.length >= 6, 15_000, 'the comeback')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(recovered).toEqual([false, true])
    // The UPDATE's new row is bob's: alice may not see it, as live.
    expect(seen.slice(3).map((change) => [change.type, change.new?.body ?? change.old?.body])).toEqual([
      ['INSERT', 'while away'],
      ['DELETE', 'deleted'],
      ['INSERT', 'last'],
    ])
    expect(seen.map((change) => change.offset)).toEqual([...seen.map((change) => change.offset)].sort((a, b) => (a as number) - (b as number)))
    // A history page goes through it too.
    const page = await docs.channel.history()
    expect(page.messages.map((message) => (message.data as { new?: { body: string }; old?: { body: string } }).new?.body ?? (message.data as { old?: { body: string } }).old?.body)).toEqual([
      'before',
      'given away',
      'deleted',
      'while away',
      'deleted',
      'last',
    ])
  })

  it('replays through filterRow into a fresh session as well, when the session ended while its client was away', async () => {
    const server = await startOwnedDocsServer()
    const connections: Array<{ disconnect(code?: number): void }> = []
    server.rt.on('connection', (conn) => void connections.push(conn))
    const proxy = await tcpProxy(server.port)
    closers.push(() => proxy.close())
    const bob = quickClient(proxy.port, 'bob')
    const docs = bob.channel<TableEvents>('db:public:docs', { columns: ['id', 'owner', 'body'] })
    const seen: string[] = []
    const recovered: boolean[] = []
    for (const type of ['INSERT', 'UPDATE', 'DELETE'] as const) docs.on(type, (change) => seen.push(`${type} ${String((change.new ?? change.old)?.body)}`))
    docs.lifecycle.on('subscribed', (event) => recovered.push(event.recovered))
    await docs.subscribe()
    const first = await database.db.query<{ id: number }>(`INSERT INTO docs (owner, body) VALUES ('bob', 'b0'), ('alice', 'a0') RETURNING id`)
    await waitFor(() => seen.length === 1, 15_000, 'the first row')
    proxy.cut()
    await waitFor(() => connections.length === 1, 5_000, 'the connection')
    // The session ends on the server: the client comes back into a fresh one and subscribes from its offset.
    connections[0]?.disconnect()
    const away = await database.db.query<{ id: number }>(`INSERT INTO docs (owner, body) VALUES ('alice', 'a1'), ('bob', 'b1'), ('alice', 'a2'), ('bob', 'b2') RETURNING id`)
    await database.db.query(`UPDATE docs SET body = 'b1 edited' WHERE id = $1`, [away.rows[1]?.id])
    await database.db.query(`DELETE FROM docs WHERE id = $1`, [first.rows[1]?.id])
    proxy.restore()
    await waitFor(() => recovered.length === 2 && seen.length >= 4, 15_000, 'the comeback')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(recovered).toEqual([false, true])
    expect(seen).toEqual(['INSERT b0', 'INSERT b1', 'INSERT b2', 'UPDATE b1 edited'])
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
