import { RealtimeClient } from '@org/realtime-client'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import { afterEach, describe, expect, it } from 'vitest'
import { table } from '../src/client.js'
import { setupNames, startChangesServer, useTestDatabase, waitFor } from './pg-support.js'
import { tcpProxy } from './tcp-proxy.js'

const database = useTestDatabase(`CREATE TABLE events (id serial PRIMARY KEY, n int NOT NULL, stream text NOT NULL)`)
const closers: Array<() => unknown> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

const WRITES = 500

/** A client of `url` that records the `n` of every INSERT of `stream`, and each `recovered`. */
async function subscriber(url: string, stream: string) {
  const client = new RealtimeClient(url, { transports: [webSocketTransport()], reconnection: { initialDelayMs: 50, maxDelayMs: 300 } })
  closers.push(() => client.disconnect())
  const events = table(client, 'public:events', { filter: `stream=eq.${stream}` })
  const seen: number[] = []
  const recovered: boolean[] = []
  events.on('INSERT', (change) => seen.push(change.new?.n as number))
  events.lifecycle.on('subscribed', (event) => recovered.push(event.recovered))
  await events.subscribe()
  return { seen, recovered }
}

async function write(stream: string, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) await database.db.query('INSERT INTO events (n, stream) VALUES ($1, $2)', [n, stream])
}

const expected = (count: number) => Array.from({ length: count }, (_, i) => i + 1)

describe('resume', () => {
  it(`recovers ${WRITES} writes made while the subscriber was cut off, in commit order, exactly once`, async () => {
    const names = await setupNames(database, ['events'])
    const server = await startChangesServer(database, names)
    closers.push(() => server.rt.close())
    const proxy = await tcpProxy(server.port)
    closers.push(() => proxy.close())
    const { seen, recovered } = await subscriber(`http://127.0.0.1:${proxy.port}/realtime`, 'cut')
    await write('cut', 1, 10)
    await waitFor(() => seen.length === 10, 15_000, 'the first writes')
    proxy.cut()
    await write('cut', 11, WRITES)
    proxy.restore()
    await waitFor(() => seen.length >= WRITES, 30_000, 'every write')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(seen).toEqual(expected(WRITES))
    expect(recovered.at(-1)).toBe(true)
  }, 60_000)

  it('recovers every write across a server restart in the middle of the stream', async () => {
    const names = await setupNames(database, ['events'])
    const first = await startChangesServer(database, names)
    // The servers sit behind a proxy, as behind a load balancer: the client keeps one address.
    const proxy = await tcpProxy(first.port)
    closers.push(() => proxy.close())
    const { seen, recovered } = await subscriber(`http://127.0.0.1:${proxy.port}/realtime`, 'restart')
    const writing = write('restart', 1, WRITES)
    await waitFor(() => seen.length >= 100, 30_000, 'the first hundred')
    proxy.cut()
    await first.rt.close()
    const second = await startChangesServer(database, names)
    closers.push(() => second.rt.close())
    proxy.retarget(second.port)
    proxy.restore()
    await writing
    await waitFor(() => seen.length >= WRITES, 30_000, 'every write')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(seen).toEqual(expected(WRITES))
    expect(recovered.length).toBeGreaterThanOrEqual(2)
    expect(recovered.at(-1)).toBe(true)
  }, 90_000)

  it('delivers concurrent transactions in commit order, not in the order they began', async () => {
    const names = await setupNames(database, ['events'])
    const server = await startChangesServer(database, names)
    closers.push(() => server.rt.close())
    const { seen } = await subscriber(server.url, 'order')
    const early = await database.db.connect()
    const late = await database.db.connect()
    try {
      await early.query('BEGIN')
      await early.query(`INSERT INTO events (n, stream) VALUES (2, 'order')`)
      await late.query('BEGIN')
      await late.query(`INSERT INTO events (n, stream) VALUES (1, 'order')`)
      await late.query('COMMIT')
      await early.query(`INSERT INTO events (n, stream) VALUES (3, 'order')`)
      await early.query('COMMIT')
    } finally {
      early.release()
      late.release()
    }
    await waitFor(() => seen.length === 3, 15_000, 'three rows')
    expect(seen).toEqual([1, 2, 3])
  })
})
