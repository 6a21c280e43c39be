import type { RealtimeClient } from '@org/realtime-client'
import { pollingTransport as pollingClient } from '@org/realtime-transport-polling/client'
import { sseTransport as sseClient } from '@org/realtime-transport-sse/client'
import { describe, expect, it } from 'vitest'
import { connectedClient, until } from '../../../test/support.js'
import { closeAfter, startNode, testPrefix, type TestNode } from './redis-support.js'
import { RequestBalancer } from './request-balancer.js'

const clients = { sse: () => sseClient(), polling: () => pollingClient() }

/** Three nodes of one cluster, behind a balancer that sends each request to the next node. */
async function cluster(): Promise<{ nodes: TestNode[]; lb: RequestBalancer }> {
  const prefix = testPrefix()
  const nodes = [await startNode(prefix), await startNode(prefix), await startNode(prefix)]
  const lb = await RequestBalancer.start(nodes.map((node) => node.port))
  closeAfter(() => lb.close())
  return { nodes, lb }
}

describe('HTTP sessions behind a load balancer without sticky sessions', () => {
  for (const transport of ['sse', 'polling'] as const) {
    it(`keeps one ${transport} session whose every request goes to the next node: nothing lost, nothing twice, no reconnect`, async () => {
      const { nodes, lb } = await cluster()
      for (const node of nodes) {
        node.rt.on('connection', (conn) => {
          conn.on('echo', (n: number) => n)
        })
      }
      const client: RealtimeClient = await connectedClient(lb.url, { transports: [clients[transport]()] })
      let reconnects = 0
      client.lifecycle.on('disconnect', () => reconnects++)
      const got: number[] = []
      client.channel('feed').on('n', (n: number) => got.push(n))
      await client.channel('feed').subscribe()
      const echoes: number[] = []
      // Broadcasts from every node, and round trips from the client, interleaved.
      const N = 30
      for (let i = 1; i <= N; i++) {
        await (nodes[i % 3] as TestNode).rt.to('feed').emit('n', i)
        if (i % 3 === 0) echoes.push((await client.emitWithAck('echo', i)) as number)
      }
      await until(() => got.length >= N, 20_000, `every broadcast (got ${got.length})`)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(got).toEqual(Array.from({ length: N }, (_, i) => i + 1))
      expect(echoes).toEqual(Array.from({ length: N / 3 }, (_, i) => 3 * (i + 1)))
      expect(reconnects).toBe(0)
      // Every node served requests of the session: they really were spread.
      for (const node of nodes) expect(lb.served.get(node.port) ?? 0).toBeGreaterThan(2)
      // One session on the whole cluster, on the node that received its first request.
      const holding = nodes.filter((node) => node.rt.connections.size > 0)
      expect(holding.length).toBe(1)
    }, 60_000)
  }

  it('answers 404 for a session no node holds, after asking the others once', async () => {
    const { lb } = await cluster()
    const started = Date.now()
    const response = await fetch(`${lb.url}?transport=polling&sid=polling_${'0'.repeat(30)}`, { method: 'POST', body: '[]', headers: { 'x-realtime-key': 'nope' } })
    expect(response.status).toBe(404)
    expect(((await response.json()) as { code: string }).code).toBe('UNKNOWN_SESSION')
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('passes on only requests that carry the session key: others are answered as if the session did not exist', async () => {
    const { lb } = await cluster()
    const opened = (await (await fetch(`${lb.url}?transport=polling`)).json()) as { sid: string; key: string }
    const url = `${lb.url}?transport=polling&sid=${opened.sid}`
    const remove = async (key: string): Promise<number> => {
      const response = await fetch(url, { method: 'DELETE', headers: { 'x-realtime-key': key } })
      await response.body?.cancel()
      return response.status
    }
    // Three times, so that each node gets one: a captured URL without the key changes nothing.
    expect([await remove('not-the-key'), await remove('not-the-key'), await remove('not-the-key')]).toEqual([404, 404, 404])
    // With its key, a DELETE that another node received closes the session on the node holding it.
    expect(await remove(opened.key)).toBe(204)
    expect(await remove(opened.key)).toBe(404)
  })

  it('answers a flood of requests for sessions nobody holds with 404, while a bystander session behind the balancer is served', async () => {
    const { nodes, lb } = await cluster()
    for (const node of nodes) node.rt.on('connection', (conn) => conn.on('echo', (n: number) => n))
    const bystander = await connectedClient(lb.url, { transports: [pollingClient()] })
    const junk = (i: number): string => `polling_${i.toString(16).padStart(30, '0')}`
    const flood = Array.from({ length: 300 }, (_, i) =>
      fetch(`${lb.url}?transport=polling&sid=${junk(i)}`, { method: 'POST', body: '', headers: { 'x-realtime-key': 'k' } }).then(async (response) => {
        await response.body?.cancel()
        return response.status
      }),
    )
    const echoes: number[] = []
    for (let i = 0; i < 5; i++) echoes.push((await bystander.emitWithAck('echo', i)) as number)
    const statuses = await Promise.all(flood)
    expect(new Set(statuses)).toEqual(new Set([404]))
    expect(echoes).toEqual([0, 1, 2, 3, 4])
  }, 60_000)
})
