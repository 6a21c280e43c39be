import { connect } from 'node:net'
import { CloseCode } from '@org/realtime-core'
import { RealtimeServer, type Connection } from '@org/realtime-server'
import { sseTransport as sseClient } from '@org/realtime-transport-sse/client'
import { sseTransport } from '@org/realtime-transport-sse/server'
import { afterEach, describe, expect, it } from 'vitest'
import { expectAckBeforeOvertakingClose, expectPushBeforeOvertakingAck } from '../../../test/post-answer-order.js'
import { connectedClient, once } from '../../../test/support.js'
import { createSseParser, type SseEvent } from '../src/internal/parse-sse.js'

let rt: RealtimeServer | undefined
const aborts: AbortController[] = []

afterEach(async () => {
  for (const abort of aborts.splice(0)) abort.abort()
  await rt?.close()
  rt = undefined
})

async function serve(options: { maxBufferedBytes?: number } = {}): Promise<string> {
  const server = new RealtimeServer({ transports: [sseTransport()], ...options })
  server.on('connection', (conn) => conn.on('echo', (data) => data))
  rt = server
  const port = await server.listen(0, { host: '127.0.0.1' })
  return `http://127.0.0.1:${port}/realtime`
}

/** An event stream opened with `query`, its events as they arrive, and POSTs on its session. */
async function openStream(url: string, query: string) {
  const abort = new AbortController()
  aborts.push(abort)
  const response = await fetch(`${url}?transport=sse&hello=1&${query}`, { signal: abort.signal })
  const events: SseEvent[] = []
  let waiting: { count: number; arrived: () => void } | undefined
  const parse = createSseParser((event) => {
    events.push(event)
    if (waiting !== undefined && events.length >= waiting.count) waiting.arrived()
  })
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }))
      if (done) return
      parse(decoder.decode(value, { stream: true }))
    }
  })()
  /** Resolves once `count` events have arrived; rejects after 2 s. */
  const until = (count: number): Promise<void> =>
    events.length >= count
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${events.length} of ${count} events within 2 s`)), 2000)
          waiting = {
            count,
            arrived: () => {
              clearTimeout(timer)
              waiting = undefined
              resolve()
            },
          }
        })
  await until(2)
  const session = JSON.parse(events[0]!.data) as { sid: string; key: string; answers?: number }
  const post = (frames: string[]) =>
    fetch(`${url}?transport=sse&sid=${session.sid}`, { method: 'POST', headers: { 'x-realtime-key': session.key }, body: frames.join('\n') })
  return { session, events, until, post }
}

const event = (e: string, d: unknown, id: number) => JSON.stringify({ t: 'event', e, d, id })

describe('SSE with numbered answers', () => {
  it('answers a POST with the acks it caused, after the id of the first, and leaves them off the stream', async () => {
    const url = await serve()
    const stream = await openStream(url, 'answers=1')
    expect(stream.session.answers).toBe(1)
    expect(stream.events[1]).toMatchObject({ type: 'message', lastEventId: '1' })
    const answer = await stream.post([event('echo', 'a', 1), event('echo', 'b', 2)])
    expect(answer.status).toBe(200)
    expect((await answer.text()).split('\n')).toEqual(['2', JSON.stringify({ t: 'ack', id: 1, d: 'a' }), JSON.stringify({ t: 'ack', id: 2, d: 'b' })])
    // The next event the stream carries has the next id.
    rt!.emit('later', 1)
    await stream.until(3)
    expect(stream.events[2]).toMatchObject({ type: 'message', lastEventId: '4' })
  })

  it('answers POSTs 204 and sends the acks down the stream for a client that did not ask', async () => {
    const url = await serve()
    const stream = await openStream(url, '')
    expect(stream.session.answers).toBeUndefined()
    const answer = await stream.post([event('echo', 'a', 1)])
    expect(answer.status).toBe(204)
    await stream.until(3)
    expect(stream.events[2]).toMatchObject({ type: 'message', data: JSON.stringify({ t: 'ack', id: 1, d: 'a' }) })
  })

  it('delivers in the order sent when a POST’s answer overtakes the stream’s events', async () => {
    const url = await serve()
    // Every chunk of the event stream reaches the client 150 ms late: the POST's answer overtakes them.
    const slowStream: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (init?.method === 'POST' || response.body === null) return response
      const delayed = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform: async (chunk, controller) => {
            await new Promise((resolve) => setTimeout(resolve, 150))
            controller.enqueue(chunk)
          },
        }),
      )
      return new Response(delayed, { status: response.status, headers: response.headers })
    }
    await expectPushBeforeOvertakingAck(rt!, url, sseClient({ fetch: slowStream }))
  })

  it('closes only after the frames sent before the close, when the close overtakes a POST’s answer', async () => {
    const url = await serve()
    await expectAckBeforeOvertakingClose(rt!, url, (fetch) => sseClient({ fetch }))
  })

  it('counts an answer to a POST that its client does not read toward maxBufferedBytes, while a bystander is served', async () => {
    const url = await serve({ maxBufferedBytes: 1024 * 1024 })
    rt!.on('connection', (conn) => conn.on('big', () => 'x'.repeat(8 * 1024 * 1024)))
    const bystander = await connectedClient(url, { transports: [sseClient()] })
    const connected = once<Connection>(rt!, 'connection')
    const stream = await openStream(url, 'answers=1')
    const conn = await connected
    const disconnected = once<{ code: number }>(conn, 'disconnect', 5000)
    // A POST whose 8 MB answer its client never reads: it stays in the server's buffers.
    const { port, pathname } = new URL(url)
    const socket = connect({ host: '127.0.0.1', port: Number(port) })
    socket.pause()
    const body = event('big', null, 1)
    socket.write(
      `POST ${pathname}?transport=sse&sid=${stream.session.sid} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-realtime-key: ${stream.session.key}\r\n` +
        `content-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
    try {
      // Any later frame finds the session over its limit.
      for (let turn = 0; turn < 100 && conn.connected; turn++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        conn.emit('tick', turn)
      }
      expect((await disconnected).code).toBe(CloseCode.SlowConsumer)
      await expect(bystander.emitWithAck('echo', 'still here', { timeoutMs: 1000 })).resolves.toBe('still here')
    } finally {
      socket.destroy()
    }
  })
})
