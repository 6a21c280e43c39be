import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { RealtimeServer } from '@org/realtime-server'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { allServerTransports, connectedClient, describeTransports } from '../../../test/support.js'

/** The app's own request listener, as Express or any router would be: it answers every request. */
function app(_request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/plain' }).end('app')
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Errors that would have crashed a plain Node.js process (vitest keeps the worker alive). */
let crashes: unknown[] = []
const crashed = (error: unknown): void => {
  crashes.push(error)
}

beforeEach(() => {
  crashes = []
  process.on('uncaughtException', crashed).on('unhandledRejection', crashed)
})

afterEach(() => {
  process.off('uncaughtException', crashed).off('unhandledRejection', crashed)
})

describeTransports('attach', () => {
  it.each(['before', 'after'] as const)('serves realtime and app requests when the app adds its request listener %s attach', async (order) => {
    const server = createServer()
    const rt = new RealtimeServer({ transports: allServerTransports() })
    rt.on('connection', (conn) => conn.on('echo', (data) => data))
    if (order === 'before') server.on('request', app)
    rt.attach(server)
    if (order === 'after') server.on('request', app)
    const origin = await listen(server)
    try {
      const client = await connectedClient(`${origin}/realtime`)
      expect(await client.emitWithAck('echo', 'hi')).toBe('hi')
      const other = await fetch(`${origin}/other`)
      expect(await other.text()).toBe('app')
      // A realtime request without a transport is ours, answered with our error, not the app's 200.
      const ours = await fetch(`${origin}/realtime`)
      expect(ours.status).toBe(400)
      expect(await client.emitWithAck('echo', 'still here')).toBe('still here')
      client.disconnect()
      expect(crashes).toEqual([])
    } finally {
      await rt.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it.each(['before', 'after'] as const)('gives the app its realtime path back after close when it listened %s attach', async (order) => {
    const server = createServer()
    const rt = new RealtimeServer({ transports: allServerTransports() })
    if (order === 'before') server.on('request', app)
    rt.attach(server)
    if (order === 'after') server.on('request', app)
    const origin = await listen(server)
    try {
      await rt.close()
      const response = await fetch(`${origin}/realtime?transport=sse`)
      expect(await response.text()).toBe('app')
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

it('answers 404 to other paths when the HTTP server has no request listener of its own', async () => {
  const server = createServer()
  const rt = new RealtimeServer({ transports: allServerTransports() })
  rt.attach(server)
  const origin = await listen(server)
  try {
    const response = await fetch(`${origin}/other`, { signal: AbortSignal.timeout(5000) })
    expect(response.status).toBe(404)
    expect((await fetch(`${origin}/realtime`)).status).toBe(400)
  } finally {
    await rt.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})
