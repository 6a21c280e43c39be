import { fileURLToPath } from 'node:url'
import type { RealtimeClient } from '@org/realtime-client'
import { describe, expect, it } from 'vitest'
import { runScript, type ChildScript } from '../../../test/child-process.js'
import { createClient, once, until } from '../../../test/support.js'
import { closeAfter, REDIS_URL, testPrefix } from './redis-support.js'
import { RedisProcess } from './redis-process.js'
import { TcpBalancer } from './tcp-balancer.js'

const fixture = fileURLToPath(new URL('./fixtures/cluster-node.ts', import.meta.url))

async function startProcessNode(prefix: string, url = REDIS_URL): Promise<{ child: ChildScript; port: number }> {
  const child = await runScript(fixture, [url, prefix])
  closeAfter(async () => {
    if (child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGTERM')
      const timer = setTimeout(() => child.process.kill('SIGKILL'), 5000)
      await child.exited
      clearTimeout(timer)
    }
  })
  const ready = await child.line(/^ready \d+/, 30_000)
  return { child, port: Number(ready.split(' ')[1]) }
}

/** Messages a client got on the channel: [data, offset]. */
type Received = Array<[number, number | undefined]>

/** Nine clients through a round-robin balancer (three per node), each subscribed to `chaos`. */
async function readersOf(ports: number[]): Promise<Array<{ client: RealtimeClient; got: Received; events: string[] }>> {
  const lb = await TcpBalancer.start(ports)
  closeAfter(() => lb.close())
  const readers: Array<{ client: RealtimeClient; got: Received; events: string[] }> = []
  for (let i = 0; i < 9; i++) {
    const client = createClient(lb.url, { reconnection: { initialDelayMs: 50, maxDelayMs: 300 } })
    await once(client.lifecycle, 'connect', 20_000)
    const got: Received = []
    client.channel('chaos').on('n', (data: number, { offset }) => got.push([data, offset]))
    await client.channel('chaos').subscribe()
    // What happened to the connection and the subscription, for a failure's message.
    const events: string[] = []
    client.lifecycle.on('disconnect', ({ reason }) => events.push(`disconnect(${reason}) after ${got.length}`))
    client.channel('chaos').lifecycle.on('subscribed', ({ recovered }) => events.push(`subscribed(recovered: ${recovered}) after ${got.length}`))
    readers.push({ client, got, events })
  }
  return readers
}

/** Which of 1..count a client did not receive, for a failure's message. */
function missingOf(got: Received, count: number): number[] {
  const seen = new Set(got.map(([n]) => n))
  return Array.from({ length: count }, (_, i) => i + 1).filter((n) => !seen.has(n))
}

describe('three nodes in separate processes', () => {
  it('delivers every message once and in order to clients spread over the nodes while one node is killed', async () => {
    const prefix = testPrefix()
    const nodes = await Promise.all([startProcessNode(prefix), startProcessNode(prefix), startProcessNode(prefix)])
    const [first, , victim] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]]
    const readers = await readersOf(nodes.map((node) => node.port))
    // The publisher talks to the first node, which stays up.
    const publisher = createClient(`http://127.0.0.1:${first.port}/realtime`)
    await once(publisher.lifecycle, 'connect', 20_000)
    const N = 600
    const recovered: boolean[] = []
    for (const { client } of readers) client.channel('chaos').lifecycle.on('subscribed', ({ recovered: ok }) => recovered.push(ok))
    for (let n = 1; n <= N; n++) {
      expect(await publisher.emitWithAck('publish', { channel: 'chaos', n })).toBe(n)
      if (n === 200) victim.child.process.kill('SIGKILL')
    }
    await until(() => readers.every(({ got }) => got.length >= N), 60_000, 'every message on every client')
    await new Promise((resolve) => setTimeout(resolve, 200))
    const expected = Array.from({ length: N }, (_, i) => [i + 1, i + 1])
    for (const [index, { got }] of readers.entries()) expect(got, `client ${index}`).toEqual(expected)
    // The killed node's three clients resubscribed elsewhere and recovered.
    expect(recovered.length).toBe(3)
    expect(recovered.every(Boolean)).toBe(true)
  }, 120_000)
  it('delivers every message once and in order to clients spread over the nodes across a Redis restart', async () => {
    const redis = await RedisProcess.start()
    closeAfter(() => redis.stop())
    const prefix = testPrefix(redis.url)
    const nodes = await Promise.all([0, 1, 2].map(() => startProcessNode(prefix, redis.url)))
    const readers = await readersOf(nodes.map((node) => node.port))
    const publisher = createClient(`http://127.0.0.1:${(nodes[0] as { port: number }).port}/realtime`)
    await once(publisher.lifecycle, 'connect', 20_000)
    const N = 600
    let restarted: Promise<void> | undefined
    for (let n = 1; n <= N; n++) {
      await publisher.emitWithAck('publish', { channel: 'chaos', n })
      if (n === 200) await redis.kill()
      if (n === 300) restarted = redis.restart()
      if (n > 200 && n <= 300) await new Promise((resolve) => setTimeout(resolve, 2))
    }
    await restarted
    await until(() => readers.every(({ got }) => got.length >= N), 60_000, 'every message on every client').catch((error: Error) => {
      const states = readers.map(({ got, events }, index) => `client ${index} missing [${missingOf(got, N).join(',')}] after ${events.join(', ') || 'no reconnect'}`)
      const nodeLogs = nodes.map(({ child }, index) => `node ${index}: ${child.output().trim().split('\n').join(' | ')}`)
      throw new Error(`${error.message}: ${states.join('; ')}; ${nodeLogs.join('; ')}`)
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    const expected = Array.from({ length: N }, (_, i) => i + 1)
    for (const [index, { got }] of readers.entries()) expect(got.map(([n]) => n), `client ${index}`).toEqual(expected)
  }, 120_000)
})
