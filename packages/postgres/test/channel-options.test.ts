import { RealtimeClient } from '@org/realtime-client'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import { afterEach, describe, expect, it } from 'vitest'
import { bystanderClient, expectServed } from '../../server/test/second-address.js'
import type { ChangePayload, ResetPayload, TableEvents } from '../src/client.js'
import { setupNames, startChangesServer, useTestDatabase, waitFor } from './pg-support.js'

const database = useTestDatabase(`CREATE TABLE notes (id serial PRIMARY KEY, owner text NOT NULL, body text NOT NULL, secret text NOT NULL DEFAULT 's')`)
const closers: Array<() => unknown> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

interface Note {
  id: number
  owner: string
  body: string
  secret: string
}

function client(url: string, auth?: unknown): RealtimeClient {
  const made = new RealtimeClient(url, { transports: [webSocketTransport()], auth })
  closers.push(() => made.disconnect())
  return made
}

const outcome = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'ok',
    (error: { code: string }) => error.code,
  )

describe('table channels with subscription options', () => {
  it("delivers INSERT, UPDATE and DELETE to client.channel(name, { filter, columns }) (to a '*' listener too), to the subscription of its options only", async () => {
    const names = await setupNames(database, ['notes'], true)
    const server = await startChangesServer(database, names)
    closers.push(() => server.rt.close())
    const subscriber = client(server.url)
    const alices = subscriber.channel<TableEvents<Note>>('db:public:notes', { filter: 'owner=eq.alice', columns: ['id', 'body'] })
    expect(subscriber.channel('db:public:notes', { columns: ['id', 'body'], filter: 'owner=eq.alice' })).toBe(alices)
    const bobs = subscriber.channel<TableEvents<Note>>('db:public:notes', { filter: 'owner=eq.bob' })
    const seen: Array<ChangePayload<Note> | ResetPayload> = []
    const inserts: Array<string | undefined> = []
    const eventNames: string[] = []
    alices.on('*', (change, { event }) => {
      seen.push(change)
      eventNames.push(event)
    })
    alices.on('INSERT', ({ new: row, commitTimestamp }) => inserts.push(`${row?.body} ${typeof commitTimestamp}`))
    const bobsSeen: string[] = []
    for (const type of ['INSERT', 'UPDATE', 'DELETE'] as const) bobs.on(type, (change) => bobsSeen.push(`${change.type} ${change.new?.body ?? change.old?.body}`))
    await Promise.all([alices.subscribe(), bobs.subscribe()])
    const inserted = await database.db.query<{ id: number }>(`INSERT INTO notes (owner, body) VALUES ('alice', 'a1'), ('bob', 'b1') RETURNING id`)
    const id = inserted.rows[0]?.id
    await database.db.query(`UPDATE notes SET body = 'a2' WHERE id = $1`, [id])
    await database.db.query(`DELETE FROM notes WHERE id = $1`, [id])
    await waitFor(() => seen.length === 3 && bobsSeen.length === 1, 15_000, 'the changes')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(seen).toMatchObject([
      { type: 'INSERT', new: { id, body: 'a1' } },
      { type: 'UPDATE', new: { id, body: 'a2' }, old: { id, body: 'a1' } },
      { type: 'DELETE', old: { id, body: 'a2' } },
    ])
    expect(eventNames).toEqual(['INSERT', 'UPDATE', 'DELETE'])
    // Only the columns asked for.
    for (const change of seen) for (const row of [(change as ChangePayload<Note>).new, (change as ChangePayload<Note>).old]) if (row) expect(Object.keys(row).sort()).toEqual(['body', 'id'])
    expect(inserts).toEqual(['a1 string'])
    expect(bobsSeen).toEqual(['INSERT b1'])
  })

  it('refuses options that try to widen what authorize allows, while a bystander keeps receiving changes', async () => {
    const names = await setupNames(database, ['notes'], true)
    const server = await startChangesServer<{ user: string }>(database, names, {
      authenticate: (handshake) => (handshake.auth as { user: string } | undefined) ?? { user: 'carol' },
      // A rule written against channel names: each user may read their own notes only.
      authorize: (conn, channel) => channel === `db:public:notes?filter=owner=eq.${conn.data.user}`,
    })
    closers.push(() => server.rt.close())
    server.rt.on('connection', (conn) => conn.on('echo', (data) => data))
    const bystander = await bystanderClient(server.url)
    const carols = bystander.channel<TableEvents<Note>>('db:public:notes', { filter: 'owner=eq.carol' })
    const carolSaw: string[] = []
    carols.on('INSERT', (change) => carolSaw.push(change.new?.body as string))
    await carols.subscribe()

    const bob = client(server.url, { user: 'bob' })
    const attempts = {
      own: outcome(bob.channel('db:public:notes', { filter: 'owner=eq.bob' }).subscribe()),
      legacyName: outcome(bob.channel('db:public:notes?filter=owner=eq.bob').subscribe()),
      othersFilter: outcome(bob.channel('db:public:notes', { filter: 'owner=eq.alice' }).subscribe()),
      noFilter: outcome(bob.channel('db:public:notes').subscribe()),
      widerFilter: outcome(bob.channel('db:public:notes', { filter: 'owner=neq.nobody' }).subscribe()),
      unknownOption: outcome(bob.channel('db:public:notes', { filter: 'owner=eq.bob', or: 'owner=eq.alice' }).subscribe()),
      filterTwice: outcome(bob.channel('db:public:notes?filter=owner=eq.bob', { filter: 'owner=eq.alice' }).subscribe()),
      emptyColumns: outcome(bob.channel('db:public:notes', { filter: 'owner=eq.bob', columns: [] }).subscribe()),
      unknownColumn: outcome(bob.channel('db:public:notes', { filter: 'owner=eq.bob', columns: ['nope'] }).subscribe()),
      badValue: outcome(bob.channel('db:public:notes', { filter: 7 }).subscribe()),
      tooDeep: outcome(bob.channel('db:public:notes', { filter: 'owner=eq.bob', x: { a: { b: { c: 1 } } } }).subscribe()),
    }
    const results = Object.fromEntries(await Promise.all(Object.entries(attempts).map(async ([what, result]) => [what, await result])))
    expect(results).toEqual({
      own: 'ok',
      legacyName: 'ok',
      othersFilter: 'FORBIDDEN',
      noFilter: 'FORBIDDEN',
      widerFilter: 'FORBIDDEN',
      unknownOption: 'BAD_REQUEST',
      filterTwice: 'BAD_REQUEST',
      emptyColumns: 'BAD_REQUEST',
      unknownColumn: 'BAD_REQUEST',
      badValue: 'BAD_REQUEST',
      tooDeep: 'BAD_REQUEST',
    })
    await database.db.query(`INSERT INTO notes (owner, body) VALUES ('carol', 'c1')`)
    await waitFor(() => carolSaw.length === 1, 15_000, "the bystander's change")
    expect(carolSaw).toEqual(['c1'])
    await expectServed(bystander)
  })
})
