import { CloseCode } from '@org/realtime-core'
import type { Connection } from '@org/realtime-server'
import { pollingTransport as pollingClient } from '@org/realtime-transport-polling/client'
import { pollingTransport } from '@org/realtime-transport-polling/server'
import { describe, expect, it } from 'vitest'
import { CLOSE_TIMEOUT_MS, MAX_BUFFERED, attachedServer, floodUntilClosed, stalledReader } from '../../../test/attached-http-server.js'
import { fetchFrom } from '../../../test/fetch-from-address.js'
import { connectedClient, once, until } from '../../../test/support.js'


/** A server with the long-polling transport (sessions time out after 10 s) and a bystander client on 127.0.0.2. */
async function setup() {
  const polling = pollingTransport({ sessionTimeoutMs: 10_000 })
  const server = await attachedServer({ transports: [polling], closeTimeoutMs: CLOSE_TIMEOUT_MS, maxBufferedBytes: MAX_BUFFERED })
  server.rt.on('connection', (conn) => conn.on('echo', (data) => data))
  const bystander = await connectedClient(server.url, { transports: [pollingClient({ fetch: fetchFrom('127.0.0.2') })] })
  return { ...server, polling, bystander }
}

/** Opens a long-polling session with `hello=1` and takes its welcome; returns what its requests need. */
async function openSession(url: string, rt: { on(event: 'connection', listener: (conn: Connection) => void): unknown }) {
  const connected = once<Connection>(rt as never, 'connection')
  const { sid, key } = (await (await fetch(`${url}?transport=polling&hello=1`)).json()) as { sid: string; key: string }
  const sessionUrl = `${url}?transport=polling&sid=${sid}`
  expect(JSON.parse(await (await fetch(sessionUrl, { headers: { 'x-realtime-key': key } })).text())).toMatchObject({ t: 'welcome' })
  return { conn: await connected, sid, key, sessionUrl }
}

describe('a slow consumer over long-polling', () => {
  it('lets go of the queue of a client that stops polling within closeTimeoutMs of its 4503, while a bystander is served', async () => {
    const { rt, url, polling, bystander } = await setup()
    const { conn } = await openSession(url, rt)
    const disconnected = once<{ code: number }>(conn, 'disconnect')
    expect(floodUntilClosed(conn)).toBeLessThan(100)
    expect((await disconnected).code).toBe(CloseCode.SlowConsumer)
    const closedAt = performance.now()
    expect(polling.sessionCount).toBe(2)
    // The closed session, with its 4 MiB of frames, goes; the bystander's stays.
    await until(() => polling.sessionCount === 1, CLOSE_TIMEOUT_MS + 1000, 'the closed session to go')
    expect(performance.now() - closedAt).toBeLessThan(CLOSE_TIMEOUT_MS + 500)
    await expect(bystander.emitWithAck('echo', 'still here', { timeoutMs: 1000 })).resolves.toBe('still here')
  })

  it('cuts off the last answer of a client that polls but does not read it within closeTimeoutMs, while a bystander is served', async () => {
    const { rt, url, port, sockets, polling, bystander } = await setup()
    const { conn, sid, key } = await openSession(url, rt)
    // The client long-polls and will not read the answer: held or not yet, the poll gets the frames and the close.
    const { socket } = await stalledReader(port, `GET /realtime?transport=polling&sid=${sid} HTTP/1.1\r\nx-realtime-key: ${key}`)
    await until(() => sockets.has(socket.localPort as number), 1000, 'the long-poll to connect')
    const disconnected = once<{ code: number }>(conn, 'disconnect')
    expect(floodUntilClosed(conn)).toBeLessThan(100)
    expect((await disconnected).code).toBe(CloseCode.SlowConsumer)
    const closedAt = performance.now()
    const serverSide = sockets.get(socket.localPort as number)
    await until(() => serverSide?.destroyed === true, CLOSE_TIMEOUT_MS + 1000, 'the answer to be cut off')
    expect(performance.now() - closedAt).toBeLessThan(CLOSE_TIMEOUT_MS + 500)
    expect(polling.sessionCount).toBe(1)
    await expect(bystander.emitWithAck('echo', 'still here', { timeoutMs: 1000 })).resolves.toBe('still here')
  })
})
