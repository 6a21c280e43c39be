import { connect } from 'node:net'
import { RealtimeServer } from '@org/realtime-server'
import { expect, it } from 'vitest'
import { allServerTransports, collect, connectedClient, describeTransports, once, until } from '../../../test/support.js'

const HEADERS_TIMEOUT_MS = 500
/** Scheduling slack on a loaded machine; Node.js's own limit would be 60 s. */
const SLACK_MS = 1500

async function setup(limits: { headersTimeoutMs: number; requestTimeoutMs: number }) {
  const rt = new RealtimeServer({ transports: allServerTransports() })
  rt.on('connection', (conn) => conn.on('echo', (data) => data))
  const port = await rt.listen(0, { host: '127.0.0.1', ...limits })
  return { rt, port, url: `http://127.0.0.1:${port}/realtime` }
}

/** A socket from `localAddress` that starts a request and records what comes back and when it closes. */
function stalledSocket(port: number, localAddress: string, start: string) {
  const socket = connect({ host: '127.0.0.1', port, localAddress })
  const state = { socket, answer: '', closedAt: undefined as number | undefined }
  socket.on('data', (chunk: Buffer) => {
    state.answer += chunk.toString('latin1')
  })
  socket.on('error', () => {})
  socket.once('close', () => {
    state.closedAt = Date.now()
  })
  if (start !== '') socket.write(start)
  return state
}

describeTransports('HTTP time limits of listen', () => {
  it('cuts 50 sockets trickling partial headers from one address after headersTimeoutMs while a bystander connects', async () => {
    const { rt, port, url } = await setup({ headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: 5_000 })
    const openedAt = Date.now()
    const stalled = Array.from({ length: 50 }, () => stalledSocket(port, '127.0.0.2', 'GET /realtime?transport=sse HTTP/1.1\r\nHost: x\r\n'))
    // One header line every 50 ms on every socket, for at most 80 ticks.
    let ticks = 0
    const trickle = setInterval(() => {
      for (const { socket } of stalled) if (!socket.destroyed) socket.write(`X-Trickle-${ticks}: 1\r\n`)
      if (++ticks >= 80) clearInterval(trickle)
    }, 50)
    try {
      const bystander = await connectedClient(url)
      expect(await bystander.emitWithAck('echo', 'during')).toBe('during')
      await until(() => stalled.every((state) => state.closedAt !== undefined), HEADERS_TIMEOUT_MS + SLACK_MS, 'the stalled sockets to be cut')
      for (const state of stalled) {
        expect(state.answer).toMatch(/^HTTP\/1\.1 408 /)
        expect((state.closedAt as number) - openedAt).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50)
      }
      expect(await bystander.emitWithAck('echo', 'after')).toBe('after')
      bystander.disconnect()
    } finally {
      clearInterval(trickle)
      for (const { socket } of stalled) socket.destroy()
      await rt.close()
    }
  })

  it('cuts a socket that connects and sends nothing after headersTimeoutMs', async () => {
    const { rt, port, url } = await setup({ headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: 5_000 })
    const silent = stalledSocket(port, '127.0.0.2', '')
    try {
      const bystander = await connectedClient(url)
      await until(() => silent.closedAt !== undefined, HEADERS_TIMEOUT_MS + SLACK_MS, 'the silent socket to be cut')
      expect(await bystander.emitWithAck('echo', 'ok')).toBe('ok')
      bystander.disconnect()
    } finally {
      silent.socket.destroy()
      await rt.close()
    }
  })

  it('keeps a connection open and delivering long past requestTimeoutMs', async () => {
    const { rt, url } = await setup({ headersTimeoutMs: 100, requestTimeoutMs: 200 })
    try {
      const client = await connectedClient(url)
      const disconnects = collect(client.lifecycle, 'disconnect')
      const reconnects = collect(client.lifecycle, 'reconnecting')
      // Five times the limit, checked every 25 ms: only time passing can show the limit is not applied.
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      const received = once(client, 'news')
      rt.emit('news', 'still here')
      expect(await received).toBe('still here')
      expect(await client.emitWithAck('echo', 'ok')).toBe('ok')
      expect(disconnects).toEqual([])
      expect(reconnects).toEqual([])
      client.disconnect()
    } finally {
      await rt.close()
    }
  })
})

it('caps headersTimeoutMs at requestTimeoutMs instead of refusing to start', async () => {
  const rt = new RealtimeServer({ transports: allServerTransports() })
  try {
    expect(await rt.listen(0, { host: '127.0.0.1', headersTimeoutMs: 60_000, requestTimeoutMs: 1_000 })).toBeGreaterThan(0)
  } finally {
    await rt.close()
  }
})
