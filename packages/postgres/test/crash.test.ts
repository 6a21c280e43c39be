import { fileURLToPath } from 'node:url'
import { RealtimeClient } from '@org/realtime-client'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import { afterEach, describe, expect, it } from 'vitest'
import { runScript, type ChildScript } from '../../../test/child-process.js'
import { table } from '../src/client.js'
import { setupNames, useTestDatabase, waitFor } from './pg-support.js'
import { tcpProxy } from './tcp-proxy.js'

const database = useTestDatabase(`CREATE TABLE ticks (id serial PRIMARY KEY, n int NOT NULL)`)
const closers: Array<() => unknown> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

const fixture = fileURLToPath(new URL('./fixtures/changes-server.ts', import.meta.url))
const WRITES = 500

async function startChild(names: { slot: string; publication: string }): Promise<{ child: ChildScript; port: number }> {
  const child = await runScript(fixture, [database.url, names.slot, names.publication])
  closers.push(() => child.process.kill('SIGKILL'))
  const line = await child.line(/^listening \d+/, 30_000)
  return { child, port: Number(line.split(' ')[1]) }
}

describe('a server crash', () => {
  it('loses nothing and repeats nothing: a server killed mid-stream is replaced and its subscriber resumes', async () => {
    const names = await setupNames(database, ['ticks'])
    const first = await startChild(names)
    const proxy = await tcpProxy(first.port)
    closers.push(() => proxy.close())
    const client = new RealtimeClient(`http://127.0.0.1:${proxy.port}/realtime`, { transports: [webSocketTransport()], reconnection: { initialDelayMs: 50, maxDelayMs: 300 } })
    closers.push(() => client.disconnect())
    const ticks = table(client, 'public:ticks')
    const seen: number[] = []
    const recovered: boolean[] = []
    ticks.on('INSERT', (change) => seen.push(change.new?.n as number))
    ticks.lifecycle.on('subscribed', (event) => recovered.push(event.recovered))
    await ticks.subscribe()
    let written = 0
    const writing = (async () => {
      for (let n = 1; n <= WRITES; n++) {
        await database.db.query('INSERT INTO ticks (n) VALUES ($1)', [n])
        written = n
      }
    })()
    await waitFor(() => seen.length >= 100, 30_000, 'the first hundred')
    // No goodbye, no last acknowledgement: the process is gone.
    proxy.cut()
    first.child.process.kill('SIGKILL')
    await first.child.exited
    const killedAt = written
    const second = await startChild(names)
    proxy.retarget(second.port)
    proxy.restore()
    await writing
    await waitFor(() => seen.length >= WRITES, 30_000, 'every write')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(killedAt).toBeLessThan(WRITES)
    expect(seen).toEqual(Array.from({ length: WRITES }, (_, i) => i + 1))
    expect(recovered.at(-1)).toBe(true)
  }, 120_000)
})
