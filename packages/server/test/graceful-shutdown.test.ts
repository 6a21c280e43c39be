import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { RealtimeClient, type DisconnectEvent } from '@org/realtime-client'
import { RealtimeServer } from '@org/realtime-server'
import express from 'express'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { allServerTransports, once, transportCases, type TransportCase } from '../../../test/support.js'
import { serveFetch } from '../../../examples/notifications/src/serve-fetch.js'

/** An app on 127.0.0.1 with a realtime server attached to its HTTP server, and how the app shuts down. */
interface RunningApp {
  port: number
  /** The framework's own shutdown: what a SIGTERM handler calls. */
  close(): Promise<void>
}

interface Framework {
  name: string
  start(rt: RealtimeServer): Promise<RunningApp>
}

async function listening(server: Server): Promise<number> {
  if (!server.listening) await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
  return (server.address() as AddressInfo).port
}

function closed(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => server.close((error) => (error === undefined ? resolve() : reject(error))))
}

const frameworks: Framework[] = [
  {
    name: 'a plain http.Server',
    async start(rt) {
      const server = createServer((_request, response) => response.end('app'))
      rt.attach(server)
      server.listen(0, '127.0.0.1')
      return { port: await listening(server), close: () => closed(server) }
    },
  },
  {
    name: 'Express 5',
    async start(rt) {
      const app = express()
      app.get('/', (_request, response) => {
        response.send('app')
      })
      const server = app.listen(0, '127.0.0.1')
      rt.attach(server)
      return { port: await listening(server), close: () => closed(server) }
    },
  },
  {
    name: 'Fastify 5',
    async start(rt) {
      const app = Fastify()
      app.get('/', () => 'app')
      await app.ready()
      rt.attach(app.server)
      await app.listen({ port: 0, host: '127.0.0.1' })
      return { port: (app.server.address() as AddressInfo).port, close: () => app.close() }
    },
  },
]

/** `promise`, or a rejection after `ms`: a shutdown that hangs fails the test instead of timing it out. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Everything a test opened, closed after it. */
const cleanups: Array<() => unknown> = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function realtimeServer(): RealtimeServer {
  const rt = new RealtimeServer({ transports: allServerTransports(), logger: false })
  rt.on('connection', (conn) => conn.on('echo', (data) => data))
  cleanups.push(() => rt.close())
  return rt
}

/** Two clients on each of `transports`, connected to `port`, reconnecting quickly. */
async function clientsOn(port: number, transports: readonly TransportCase[] = transportCases): Promise<RealtimeClient[]> {
  const clients = transports.flatMap((transport) =>
    [1, 2].map(
      () =>
        new RealtimeClient(`http://127.0.0.1:${port}/realtime`, {
          transports: [transport.client()],
          reconnection: { initialDelayMs: 50, maxDelayMs: 200 },
        }),
    ),
  )
  for (const client of clients) cleanups.push(() => client.disconnect())
  await Promise.all(clients.map((client) => once(client.lifecycle, 'connect', 10_000)))
  await Promise.all(clients.map((client) => client.emitWithAck('echo', 'ready')))
  return clients
}

describe.each(frameworks)('graceful shutdown of $name', (framework) => {
  it('closes in under a second with clients on every transport, which see 1001 and reconnect elsewhere', async () => {
    const app = await framework.start(realtimeServer())
    const clients = await clientsOn(app.port)
    const disconnects = Promise.all(clients.map((client) => once<DisconnectEvent>(client.lifecycle, 'disconnect', 10_000)))
    const started = performance.now()
    await within(app.close(), 5000, 'closing the app')
    const tookMs = performance.now() - started
    expect(tookMs).toBeLessThan(1000)
    for (const event of await disconnects) {
      expect(event).toMatchObject({ code: 1001, reason: 'server-shutdown', willReconnect: true })
    }
    // The next instance comes up on the same address: every client finds it by itself.
    const reconnects = clients.map((client) => once(client.lifecycle, 'connect', 15_000))
    const next = realtimeServer()
    await next.listen(app.port, { host: '127.0.0.1' })
    await Promise.all(reconnects)
    expect(next.connections.size).toBe(clients.length)
    for (const client of clients) expect(await client.emitWithAck('echo', 'again')).toBe('again')
  })

  it('closes in under a second when the app closes the realtime server first', async () => {
    const rt = realtimeServer()
    const app = await framework.start(rt)
    const clients = await clientsOn(app.port)
    const disconnects = Promise.all(clients.map((client) => once<DisconnectEvent>(client.lifecycle, 'disconnect', 10_000)))
    const started = performance.now()
    await rt.close()
    await within(app.close(), 5000, 'closing the app')
    expect(performance.now() - started).toBeLessThan(1000)
    for (const event of await disconnects) expect(event).toMatchObject({ code: 1001, reason: 'server-shutdown' })
  })
})

describe('graceful shutdown of a fetch-API app (a Next.js route handler under next start)', () => {
  it('closes in under a second once rt.close() runs on SIGTERM, before the framework closes its server', async () => {
    const rt = realtimeServer()
    // What `next start` does with a route handler: its own HTTP server, which rt never sees.
    const server = createServer(serveFetch((request) => rt.handleRequest(request)))
    server.listen(0, '127.0.0.1')
    const port = await listening(server)
    const clients = await clientsOn(
      port,
      transportCases.filter((transport) => transport.name !== 'websocket'),
    )
    const disconnects = Promise.all(clients.map((client) => once<DisconnectEvent>(client.lifecycle, 'disconnect', 10_000)))
    const started = performance.now()
    // The documented SIGTERM listener, then the framework's own shutdown.
    await rt.close()
    await within(closed(server), 5000, 'closing the server')
    expect(performance.now() - started).toBeLessThan(1000)
    for (const event of await disconnects) expect(event).toMatchObject({ code: 1001, reason: 'server-shutdown' })
  })
})

describe('disconnect listeners during shutdown', () => {
  it('logs the rejection of an async disconnect listener, and still shuts down', async () => {
    const errors: Array<{ message: string; error: unknown }> = []
    const logger = { debug() {}, info() {}, warn() {}, error: (message: string, meta?: { error?: unknown }) => errors.push({ message, error: meta?.error }) }
    const rt = new RealtimeServer({ transports: allServerTransports(), logger })
    cleanups.push(() => rt.close())
    rt.on('connection', (conn) => {
      conn.on('echo', (data) => data)
      conn.on('disconnect', async () => {
        await Promise.resolve()
        throw new Error('flush failed')
      })
    })
    const port = await rt.listen(0, { host: '127.0.0.1' })
    await clientsOn(port, transportCases.slice(0, 1))
    await within(rt.close(), 5000, 'closing')
    for (let turn = 0; turn < 100 && errors.length < 2; turn++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(errors.map(({ message }) => message)).toEqual(['disconnect listener threw', 'disconnect listener threw'])
    expect(errors.every(({ error }) => error instanceof Error && error.message === 'flush failed')).toBe(true)
  })
})
