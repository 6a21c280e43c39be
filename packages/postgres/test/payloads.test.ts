import { RealtimeClient } from '@org/realtime-client'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import { afterEach, describe, expect, it } from 'vitest'
import { checkWalLevel } from '../src/index.js'
import { table, type TableChange } from '../src/client.js'
import { setupNames, startChangesServer, useTestDatabase, waitFor } from './pg-support.js'

const database = useTestDatabase(`
  CREATE TABLE todos (id serial PRIMARY KEY, list_id int NOT NULL, title text NOT NULL, done boolean NOT NULL DEFAULT false, due date, created timestamptz NOT NULL DEFAULT now(), owner uuid);
  CREATE TABLE secrets (id serial PRIMARY KEY, body text);
`)

const closers: Array<() => unknown> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function setup() {
  const names = await setupNames(database, ['todos'], true)
  const server = await startChangesServer(database, names)
  closers.push(() => server.rt.close())
  const client = new RealtimeClient(server.url, { transports: [webSocketTransport()], reconnection: { initialDelayMs: 20, maxDelayMs: 200 } })
  closers.push(() => client.disconnect())
  return { server, client }
}

describe('postgresChanges payloads', () => {
  it('reports wal_level logical as fine', async () => {
    expect(await checkWalLevel(database.db)).toBeUndefined()
  })

  it('delivers INSERT, UPDATE and DELETE with new, old and the commit time', async () => {
    const { client } = await setup()
    const todos = table(client, 'public:todos')
    const seen: TableChange[] = []
    todos.on('*', (change) => seen.push(change))
    await todos.subscribe()
    const before = Date.now()
    const { rows } = await database.db.query<{ id: number }>(`INSERT INTO todos (list_id, title, due) VALUES (42, 'milk', '2024-03-05') RETURNING id`)
    const id = rows[0]?.id
    await database.db.query(`UPDATE todos SET done = true WHERE id = $1`, [id])
    await database.db.query(`DELETE FROM todos WHERE id = $1`, [id])
    await waitFor(() => seen.length === 3, 15_000, 'three changes')
    expect(seen.map((change) => change.type)).toEqual(['INSERT', 'UPDATE', 'DELETE'])
    expect(seen[0]?.new).toMatchObject({ id, list_id: 42, title: 'milk', done: false, due: '2024-03-05' })
    expect(seen[0]?.old).toBeUndefined()
    expect(seen[1]?.new).toMatchObject({ id, done: true })
    expect(seen[1]?.old).toMatchObject({ id, done: false })
    expect(seen[2]?.new).toBeUndefined()
    expect(seen[2]?.old).toMatchObject({ id, title: 'milk', done: true })
    expect(Date.parse(seen[0]?.commitTimestamp ?? '')).toBeGreaterThanOrEqual(before - 5000)
    expect(seen.every((change) => typeof change.offset === 'number')).toBe(true)
    expect((seen[1]?.offset ?? 0) > (seen[0]?.offset ?? 0)).toBe(true)
  })

  it('delivers only rows that match the filter, with only the selected columns', async () => {
    const { client } = await setup()
    const filtered: TableChange[] = []
    const listed: TableChange[] = []
    const later: TableChange[] = []
    const mine = table(client, 'public:todos', { filter: 'list_id=eq.7', columns: ['id', 'title'] })
    mine.on('*', (change) => filtered.push(change))
    const inList = table(client, 'public:todos', { filter: 'list_id=in.(8,9)' })
    inList.on('*', (change) => listed.push(change))
    const dated = table(client, 'public:todos', { filter: 'due=gte.2025-01-01' })
    dated.on('INSERT', (change) => later.push(change))
    await Promise.all([mine.subscribe(), inList.subscribe(), dated.subscribe()])
    await database.db.query(`INSERT INTO todos (list_id, title, due) VALUES (7, 'a', '2024-01-01'), (8, 'b', '2026-01-01'), (9, 'c', NULL), (10, 'd', '2025-06-01')`)
    // An update that moves a row out of list 7 still reaches list 7 (its old row matched).
    await database.db.query(`UPDATE todos SET list_id = 11 WHERE title = 'a'`)
    await waitFor(() => filtered.length === 2 && listed.length === 2 && later.length === 2, 15_000, 'filtered changes')
    expect(filtered[0]?.new).toEqual({ id: expect.any(Number), title: 'a' })
    expect(filtered[1]?.type).toBe('UPDATE')
    expect(listed.map((change) => change.new?.title)).toEqual(['b', 'c'])
    expect(later.map((change) => change.new?.title)).toEqual(['b', 'd'])
  })

  it('refuses unknown tables, columns, operators, wrong value types and unpublished tables at subscribe time', async () => {
    const { client } = await setup()
    const refusal = async (name: string, options?: { filter?: string; columns?: string[] }) => {
      const error = await table(client, name, options).subscribe().then(
        () => undefined,
        (failure: unknown) => failure as { code: string; message: string },
      )
      return error?.code
    }
    expect(await refusal('public:nope')).toBe('FORBIDDEN')
    expect(await refusal('public:secrets')).toBe('FORBIDDEN')
    expect(await refusal('public:todos', { filter: 'nope=eq.1' })).toBe('BAD_REQUEST')
    expect(await refusal('public:todos', { filter: 'list_id=like.1' })).toBe('BAD_REQUEST')
    expect(await refusal('public:todos', { filter: 'list_id=eq.abc' })).toBe('BAD_REQUEST')
    expect(await refusal('public:todos', { filter: 'done=eq.yes' })).toBe('BAD_REQUEST')
    expect(await refusal('public:todos', { filter: 'owner=eq.not-a-uuid' })).toBe('BAD_REQUEST')
    expect(await refusal('public:todos', { filter: `list_id=in.(${Array.from({ length: 51 }, (_, i) => i).join(',')})` })).toBe('BAD_REQUEST')
    expect(await refusal('public:todos', { columns: ['id', 'nope'] })).toBe('BAD_REQUEST')
    // The connection is fine after all that.
    const ok = table(client, 'public:todos', { filter: 'owner=eq.123e4567-e89b-12d3-a456-426614174000' })
    await expect(ok.subscribe()).resolves.toMatchObject({ recovered: false })
  })
})
