import { RealtimeClient } from '@org/realtime-client'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import { afterAll, describe, expect, it } from 'vitest'
import { table } from '../src/client.js'
import { setupNames, startChangesServer, useTestDatabase, waitFor } from './pg-support.js'

const database = useTestDatabase(`CREATE TABLE items (id serial PRIMARY KEY, trial int NOT NULL)`)
const closers: Array<() => unknown> = []
afterAll(async () => {
  for (const close of closers.reverse()) await close()
})

const TRIALS = 1000

describe('ready means flowing', () => {
  it(`delivers a row inserted right after subscribe() resolves, ${TRIALS} times out of ${TRIALS}`, async () => {
    const names = await setupNames(database, ['items'])
    const server = await startChangesServer(database, names, { rateLimit: { messagesPerSecond: 10_000, burst: 10_000 } })
    closers.push(() => server.rt.close())
    const client = new RealtimeClient(server.url, { transports: [webSocketTransport()] })
    closers.push(() => client.disconnect())
    let delivered = 0
    for (let trial = 1; trial <= TRIALS; trial++) {
      // A channel nobody was in before: its room is made by this very subscription.
      const items = table(client, 'public:items', { filter: `trial=eq.${trial}` })
      let got = false
      items.on('INSERT', (change) => {
        if (change.new?.trial === trial) got = true
      })
      await items.subscribe()
      await database.db.query('INSERT INTO items (trial) VALUES ($1)', [trial])
      await waitFor(() => got, 15_000, `the row of trial ${trial}`)
      delivered++
      items.unsubscribe()
    }
    expect(delivered).toBe(TRIALS)
  }, 300_000)
})
