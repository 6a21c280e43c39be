import net from 'node:net'
import { ErrorCode } from '@org/realtime-core'
import type { ClientTransport } from '@org/realtime-core'
import type { RealtimeClient } from '@org/realtime-client'
import type { Connection, RealtimeServerOptions } from '@org/realtime-server'
import { pollingTransport as pollingClient } from '@org/realtime-transport-polling/client'
import { pollingTransport } from '@org/realtime-transport-polling/server'
import { sseTransport as sseClient } from '@org/realtime-transport-sse/client'
import { sseTransport } from '@org/realtime-transport-sse/server'
import type { HttpTransportOptions } from '@org/realtime-core/http'
import { describe, expect, it, onTestFinished } from 'vitest'
import { attachedServer } from '../../../test/attached-http-server.js'
import { fetchFrom } from '../../../test/fetch-from-address.js'
import { RawHttpPeer } from '../../../test/raw-http-peer.js'
import { connectedClient, once } from '../../../test/support.js'

const clients: Record<'sse' | 'polling', (fetchImpl: typeof fetch) => ClientTransport> = {
  sse: (fetchImpl) => sseClient({ fetch: fetchImpl }),
  polling: (fetchImpl) => pollingClient({ fetch: fetchImpl }),
}

async function errorOf(response: Response): Promise<{ status: number; code: string }> {
  return { status: response.status, code: ((await response.json()) as { code: string }).code }
}

describe.each(['sse', 'polling'] as const)('POST bodies over %s', (transport) => {
  /** A server with only `transport`, an `echo` handler, and a bystander client of it on 127.0.0.2. */
  async function setup(options: HttpTransportOptions, serverOptions: RealtimeServerOptions<Record<string, unknown>> = {}) {
    const transports = transport === 'sse' ? [sseTransport(options)] : [pollingTransport(options)]
    const server = await attachedServer({ transports, ...serverOptions })
    server.rt.on('connection', (conn) => conn.on('echo', (data) => data))
    const bystander = await connectedClient(server.url, { transports: [clients[transport](fetchFrom('127.0.0.2'))] })
    return { ...server, bystander }
  }

  async function expectServed(bystander: RealtimeClient): Promise<void> {
    await expect(bystander.emitWithAck('echo', 'still here', { timeoutMs: 1000 })).resolves.toBe('still here')
  }

  it('refuses a body of more frames than maxFramesPerPost with 413, handles none of them, and closes with 1009', async () => {
    const { rt, url, bystander } = await setup({ maxFramesPerPost: 50 })
    const connected = once<Connection>(rt, 'connection')
    const peer = await RawHttpPeer.open(url, transport)
    onTestFinished(() => peer.terminate())
    await peer.handshake()
    const conn = await connected
    const handled: unknown[] = []
    conn.on('tick', (data) => void handled.push(data))
    const body = Array.from({ length: 51 }, (_, n) => JSON.stringify({ t: 'event', e: 'tick', d: n })).join('\n')
    expect(await errorOf(await peer.post(body))).toEqual({ status: 413, code: ErrorCode.PayloadTooLarge })
    expect((await peer.closed).code).toBe(1009)
    expect(handled).toEqual([])
    await expectServed(bystander)
  })

  it('hands the frames of a large body over in chunks, letting other work run between them', async () => {
    const { rt, url, bystander } = await setup({}, { rateLimit: false })
    const connected = once<Connection>(rt, 'connection')
    const peer = await RawHttpPeer.open(url, transport)
    onTestFinished(() => peer.terminate())
    await peer.handshake()
    const conn = await connected
    let handled = 0
    let handledWhenOtherWorkRan: number | undefined
    conn.on('tick', () => {
      handled++
      if (handled === 1) setImmediate(() => (handledWhenOtherWorkRan = handled))
    })
    const body = Array.from({ length: 1000 }, (_, n) => JSON.stringify({ t: 'event', e: 'tick', d: n })).join('\n')
    expect((await peer.post(body)).status).toBe(204)
    expect(handled).toBe(1000)
    expect(handledWhenOtherWorkRan).toBe(100)
    await expectServed(bystander)
  })

  it('answers a body that does not arrive within bodyTimeoutMs with 408 TIMEOUT and closes its connection', async () => {
    const { rt, port, url, bystander } = await setup({ bodyTimeoutMs: 200 })
    const connected = once<Connection>(rt, 'connection')
    const peer = await RawHttpPeer.open(url, transport)
    onTestFinished(() => peer.terminate())
    await peer.handshake()
    await connected
    // The body is said to be 100 kB; 11 bytes come, and no more.
    const socket = net.connect({ host: '127.0.0.1', port })
    onTestFinished(() => {
      socket.destroy()
    })
    socket.setEncoding('utf8')
    let answer = ''
    socket.on('data', (chunk: string) => (answer += chunk))
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    const sentAt = performance.now()
    const path = new URL(peer.sessionUrl).search
    socket.write(`POST /realtime${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nx-realtime-key: ${peer.key}\r\ncontent-type: text/plain\r\ncontent-length: 100000\r\n\r\n{"t":"pong"`)
    const closedInTime = await Promise.race([ended.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 2000))])
    expect(closedInTime).toBe(true)
    expect(performance.now() - sentAt).toBeLessThan(1000)
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(answer).toContain(`"code":"${ErrorCode.Timeout}"`)
    await expectServed(bystander)
  })
})
