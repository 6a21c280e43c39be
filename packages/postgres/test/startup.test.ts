import { RealtimeClient } from '@org/realtime-client'
import { RealtimeServer } from '@org/realtime-server'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import { afterEach, describe, expect, it } from 'vitest'
import { allServerTransports } from '../../../test/support.js'
import { freePort } from '../../../test/free-port.js'
import { postgresChanges } from '../src/index.js'
import { table } from '../src/client.js'
import { nextNames, setupNames, startChangesServer, useTestDatabase } from './pg-support.js'

const database = useTestDatabase(`CREATE TABLE logs (id serial PRIMARY KEY, line text NOT NULL)`)
const closers: Array<() => unknown> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

describe('starting up', () => {
  it('reports a missing publication, naming the setup function, and keeps retrying', async () => {
    const names = nextNames(database)
    const changes = postgresChanges({ connectionString: database.url, ...names, logger: false, retryMs: [100, 200] })
    const stops: unknown[] = []
    changes.events.on('disconnected', (error) => stops.push(error))
    const rt = new RealtimeServer({ transports: allServerTransports(), logger: false, plugins: [changes] })
    closers.push(() => rt.close())
    await expect(changes.ready()).rejects.toThrow(/setupPostgresChanges/)
    await expect.poll(() => stops.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2)
  })

  it('answers a subscription with TIMEOUT while the database cannot be reached', async () => {
    const port = await freePort()
    const changes = postgresChanges({ connectionString: `postgres://postgres@127.0.0.1:${port}/nope`, logger: false, readyTimeoutMs: 500, retryMs: [100, 200] })
    const rt = new RealtimeServer({ transports: allServerTransports(), logger: false, plugins: [changes], authorize: () => true })
    closers.push(() => rt.close())
    const serverPort = await rt.listen(0, { host: '127.0.0.1' })
    const client = new RealtimeClient(`http://127.0.0.1:${serverPort}/realtime`, { transports: [webSocketTransport()] })
    closers.push(() => client.disconnect())
    await expect(table(client, 'public:logs').subscribe()).rejects.toMatchObject({ code: 'TIMEOUT' })
  })

  it('serves channel.history() from the change log, filtered like the channel', async () => {
    const names = await setupNames(database, ['logs'])
    const server = await startChangesServer(database, names)
    closers.push(() => server.rt.close())
    const client = new RealtimeClient(server.url, { transports: [webSocketTransport()] })
    closers.push(() => client.disconnect())
    const logs = table(client, 'public:logs', { filter: 'line=neq.skip' })
    let seen = 0
    logs.on('INSERT', () => seen++)
    await logs.subscribe()
    await database.db.query(`INSERT INTO logs (line) VALUES ('a'), ('skip'), ('b')`)
    await expect.poll(() => seen, { timeout: 15_000 }).toBe(2)
    const page = await logs.channel.history()
    expect(page.messages.map((message) => (message.data as { new: { line: string } }).new.line)).toEqual(['a', 'b'])
    expect(page.messages.every((message) => message.event === 'INSERT')).toBe(true)
  })
})
