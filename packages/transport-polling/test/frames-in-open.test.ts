import { RealtimeClient } from '@org/realtime-client'
import { RealtimeServer, type Connection } from '@org/realtime-server'
import { pollingTransport as pollingClient } from '@org/realtime-transport-polling/client'
import { pollingTransport } from '@org/realtime-transport-polling/server'
import { afterEach, describe, expect, it } from 'vitest'
import { once } from '../../../test/support.js'

let rt: RealtimeServer<unknown> | undefined

afterEach(async () => {
  await rt?.close()
  rt = undefined
})

async function serve(options: ConstructorParameters<typeof RealtimeServer>[0] = {}): Promise<string> {
  const server = new RealtimeServer({ transports: [pollingTransport({ holdMs: 1000 })], ...options })
  rt = server
  const port = await server.listen(0, { host: '127.0.0.1' })
  return `http://127.0.0.1:${port}/realtime`
}

/** The answer to an open, as lines, and how long it took. */
async function open(url: string, query: string): Promise<{ lines: string[]; ms: number; type: string | null }> {
  const started = performance.now()
  const response = await fetch(`${url}?transport=polling&${query}`)
  expect(response.status).toBe(200)
  const lines = (await response.text()).split('\n')
  return { lines, ms: performance.now() - started, type: response.headers.get('content-type') }
}

describe('long-polling open that carries the first frames', () => {
  it('answers a client that reads frames and said hello in the URL with its id and key, then welcome', async () => {
    const url = await serve()
    const connected = once<Connection>(rt!, 'connection')
    const { lines } = await open(url, 'frames=1&hello=1')
    expect(lines).toHaveLength(2)
    expect(JSON.parse(lines[0]!)).toMatchObject({ sid: expect.stringMatching(/^polling_/), key: expect.any(String), holdMs: 1000 })
    expect(JSON.parse(lines[1]!)).toMatchObject({ t: 'welcome' })
    await connected
  })

  it('holds the open until a handshake that takes time has its welcome', async () => {
    const url = await serve({ authenticate: () => new Promise((resolve) => setTimeout(() => resolve({}), 100)) })
    const { lines, ms } = await open(url, 'frames=1&hello=1')
    expect(ms).toBeGreaterThanOrEqual(90)
    expect(JSON.parse(lines[1]!)).toMatchObject({ t: 'welcome' })
  })

  it('answers at once with the id and key alone when hello is to come in a POST', async () => {
    const url = await serve()
    const { lines, ms } = await open(url, 'frames=1')
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ sid: expect.stringMatching(/^polling_/) })
    expect(ms).toBeLessThan(900)
  })

  it('answers a client that does not say frames=1 with the JSON of its id and key, as before', async () => {
    const url = await serve()
    const { lines, type } = await open(url, 'hello=1')
    expect(type).toBe('application/json')
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ sid: expect.stringMatching(/^polling_/) })
  })

  it('carries the close of a handshake refused while the open was held, after the id and key', async () => {
    const url = await serve({ authenticate: () => new Promise((_, reject) => setTimeout(() => reject(new Error('no')), 50)) })
    const response = await fetch(`${url}?transport=polling&frames=1&hello=1`)
    expect(response.status).toBe(200)
    expect(response.headers.get('x-realtime-close')).toMatch(/^4401 /)
    const lines = (await response.text()).split('\n')
    expect(JSON.parse(lines[0]!)).toMatchObject({ sid: expect.stringMatching(/^polling_/) })
    expect(lines.slice(1).filter((line) => line.includes('"welcome"'))).toEqual([])
  })

  it('connects the bundled client with one request when it has no auth to send, three when it has', async () => {
    const url = await serve({ authenticate: ({ auth }) => ({ name: (auth as { name?: string } | undefined)?.name ?? 'guest' }) })
    rt!.on('connection', (conn) => conn.on('name', () => (conn.data as { name: string }).name))
    for (const [auth, before] of [[undefined, 1], [{ name: 'ada' }, 3]] as const) {
      let requests = 0
      const counting: typeof fetch = (input, init) => {
        requests++
        return fetch(input, init)
      }
      const client = new RealtimeClient(url, { transports: [pollingClient({ fetch: counting })], auth })
      try {
        // Without auth, hello is in the URL and welcome comes in the open's answer; with it, hello goes in a POST and welcome in a poll.
        const requestsBeforeWelcome = await new Promise((resolve) => client.lifecycle.once('connect', () => resolve(requests)))
        expect(requestsBeforeWelcome).toBe(before)
        expect(await client.emitWithAck('name', null)).toBe(auth?.name ?? 'guest')
      } finally {
        client.disconnect()
      }
    }
  })
})
