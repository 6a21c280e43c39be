import { RealtimeClient } from '@org/realtime-client'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import { afterEach, describe, expect, it } from 'vitest'
import { table } from '../src/client.js'
import { dropSlot } from '../src/setup.js'
import { setupNames, startChangesServer, useTestDatabase, waitFor } from './pg-support.js'
import { tcpProxy } from './tcp-proxy.js'

const database = useTestDatabase(`
  CREATE TABLE notes (id serial PRIMARY KEY, n int NOT NULL);
  CREATE TABLE unpublished (id serial PRIMARY KEY);
`)
const closers: Array<() => unknown> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function subscriber(url: string) {
  const client = new RealtimeClient(url, { transports: [webSocketTransport()], reconnection: { initialDelayMs: 50, maxDelayMs: 300 } })
  closers.push(() => client.disconnect())
  const notes = table(client, 'public:notes')
  const seen: number[] = []
  const recovered: boolean[] = []
  notes.on('INSERT', (change) => seen.push(change.new?.n as number))
  notes.lifecycle.on('subscribed', (event) => recovered.push(event.recovered))
  await notes.subscribe()
  return { seen, recovered, notes }
}

const write = async (from: number, to: number) => {
  for (let n = from; n <= to; n++) await database.db.query('INSERT INTO notes (n) VALUES ($1)', [n])
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

async function slotState(slot: string) {
  const { rows } = await database.db.query<{ active_pid: number | null; flushed: string }>(
    `SELECT active_pid, (confirmed_flush_lsn - '0/0'::pg_lsn)::text AS flushed FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  )
  return rows[0]
}

async function currentLsn(): Promise<bigint> {
  const { rows } = await database.db.query<{ lsn: string }>(`SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::text AS lsn`)
  return BigInt((rows[0] as { lsn: string }).lsn)
}

describe('when things fail', () => {
  it('reports a database connection that went away, reconnects, and neither loses nor repeats a change', async () => {
    const names = await setupNames(database, ['notes'])
    // No acknowledgement between the two halves: the new stream starts before changes already logged.
    const server = await startChangesServer(database, names, {}, { statusIntervalMs: 600_000 })
    closers.push(() => server.rt.close())
    const disconnected: unknown[] = []
    let connected = 0
    server.changes.events.on('disconnected', (error) => disconnected.push(error))
    server.changes.events.on('connected', () => connected++)
    const { seen } = await subscriber(server.url)
    await write(1, 50)
    await waitFor(() => seen.length === 50, 15_000, 'the first 50')
    const state = await slotState(names.slot)
    await database.db.query('SELECT pg_terminate_backend($1)', [state?.active_pid])
    await write(51, 100)
    await waitFor(() => disconnected.length >= 1 && connected >= 1, 15_000, 'the reconnection')
    await waitFor(() => seen.length >= 100, 15_000, 'every change')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(seen).toEqual(range(1, 100))
  })

  it('acknowledges what was logged, and keeps the slot moving on an idle database', async () => {
    const names = await setupNames(database, ['notes'])
    const server = await startChangesServer(database, names, {}, { statusIntervalMs: 100, heartbeatMs: 100 })
    closers.push(() => server.rt.close())
    const { seen } = await subscriber(server.url)
    await write(1, 5)
    const afterWrites = await currentLsn()
    await waitFor(() => seen.length === 5, 15_000, 'the writes')
    // WAL that the publication does not carry: the slot must still move past it.
    await database.db.query('INSERT INTO unpublished DEFAULT VALUES')
    const afterOther = await currentLsn()
    const deadline = Date.now() + 15_000
    let flushed = 0n
    while (Date.now() < deadline && flushed < afterOther) {
      flushed = BigInt((await slotState(names.slot))?.flushed ?? '0')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(flushed >= afterWrites).toBe(true)
    expect(flushed >= afterOther).toBe(true)
  })

  it('starts a new epoch when the slot is lost, and tells subscribers to refetch', async () => {
    const names = await setupNames(database, ['notes'])
    const server = await startChangesServer(database, names)
    closers.push(() => server.rt.close())
    const resets: string[] = []
    server.changes.events.on('reset', (epoch) => resets.push(epoch))
    const live = await subscriber(server.url)
    const proxy = await tcpProxy(server.port)
    closers.push(() => proxy.close())
    const away = await subscriber(`http://127.0.0.1:${proxy.port}/realtime`)
    await write(1, 3)
    await waitFor(() => live.seen.length === 3 && away.seen.length === 3, 15_000, 'the first writes')
    proxy.cut()
    await dropSlot(database.db, names.slot)
    await waitFor(() => resets.length === 1, 15_000, 'the reset')
    // The live subscriber subscribed again, and was told its state may be stale.
    await waitFor(() => live.recovered.length === 2, 15_000, 'a new subscription')
    expect(live.recovered).toEqual([false, false])
    await write(4, 4)
    await waitFor(() => live.seen.includes(4), 15_000, 'a change after the reset')
    // The subscriber that was away when it happened comes back to a new epoch: not recovered.
    proxy.restore()
    await waitFor(() => away.recovered.length === 2, 15_000, 'the comeback')
    expect(away.recovered).toEqual([false, false])
  })
})
