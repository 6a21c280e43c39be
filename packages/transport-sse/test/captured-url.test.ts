import { ErrorCode } from '@org/realtime-core'
import type { Connection } from '@org/realtime-server'
import { sseTransport as sseClient } from '@org/realtime-transport-sse/client'
import { describe, expect, it } from 'vitest'
import { fetchFrom, recordingFetch } from '../../../test/fetch-from-address.js'
import { RawHttpPeer } from '../../../test/raw-http-peer.js'
import { collect, createClient, once, startServer } from '../../../test/support.js'
import { createSseParser, type SseEvent } from '../src/internal/parse-sse.js'

/** Requests from another address than the client's, as someone who found its URLs in a log would send them. */
const attacker = fetchFrom('127.0.0.2')

async function errorOf(response: Response): Promise<{ status: number; code: string }> {
  return { status: response.status, code: ((await response.json()) as { code: string }).code }
}

/** A server whose `echo` handler records what it was sent, and a client over SSE whose request URLs are recorded. */
async function setup() {
  const { rt, url } = await startServer()
  const echoed: unknown[] = []
  rt.on('connection', (conn) =>
    conn.on('echo', (data) => {
      echoed.push(data)
      return data
    }),
  )
  const { urls, fetch: recording } = recordingFetch()
  const connected = once<Connection>(rt, 'connection')
  const client = createClient(url, { transports: [sseClient({ fetch: recording })] })
  await once(client.lifecycle, 'connect')
  const conn = await connected
  await expect(client.emitWithAck('echo', 'mine')).resolves.toBe('mine')
  const sessionUrl = urls.find((seen) => seen.includes('sid='))
  expect(sessionUrl).toBeDefined()
  return { rt, client, conn, echoed, sessionUrl: sessionUrl as string }
}

describe('an SSE session URL in the wrong hands', () => {
  it('refuses POSTs, stream take-overs and DELETEs from another address, and the client keeps its session', async () => {
    const { client, conn, echoed, sessionUrl } = await setup()
    const disconnects = collect(client.lifecycle, 'disconnect')
    const forged = await attacker(sessionUrl, { method: 'POST', body: '{"t":"event","e":"echo","d":"forged","id":99}', headers: { 'content-type': 'text/plain' } })
    expect(await errorOf(forged)).toEqual({ status: 404, code: ErrorCode.UnknownSession })
    for (const lastEventId of [undefined, '0']) {
      const takeOver = await attacker(sessionUrl, { headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId } })
      expect(await errorOf(takeOver)).toEqual({ status: 404, code: ErrorCode.UnknownSession })
    }
    expect(await errorOf(await attacker(`${sessionUrl}&code=1000`, { method: 'DELETE' }))).toEqual({ status: 404, code: ErrorCode.UnknownSession })
    // The client still has its stream: a private event reaches it, and only its own frames were handled.
    const delivered = once(client, 'private')
    conn.emit('private', 'for the client only')
    expect(await delivered).toBe('for the client only')
    await expect(client.emitWithAck('echo', 'still mine')).resolves.toBe('still mine')
    expect(echoed).toEqual(['mine', 'still mine'])
    expect(disconnects).toEqual([])
    expect(conn.connected).toBe(true)
  })

  it('lets a stream re-open URL serve once: replayed from another address it is refused, and the re-opened stream keeps its events', async () => {
    const { rt, url } = await startServer()
    const connected = once<Connection>(rt, 'connection')
    const peer = await RawHttpPeer.open(url, 'sse')
    await peer.handshake()
    const conn = await connected
    peer.terminate()
    // The client re-opens its stream with the single-use token of the last one; someone logs the URL.
    const reopenUrl = `${peer.sessionUrl}&resume=${peer.resumeToken}`
    const aborted = new AbortController()
    const reopened = await fetch(reopenUrl, { headers: { 'last-event-id': '1' }, signal: aborted.signal })
    try {
      expect(reopened.status).toBe(200)
      const replayed = await attacker(reopenUrl, { headers: { 'last-event-id': '1' } })
      expect(await errorOf(replayed)).toEqual({ status: 404, code: ErrorCode.UnknownSession })
      conn.emit('private', 'for the client only')
      const events: SseEvent[] = []
      const parse = createSseParser((event) => events.push(event))
      const reader = (reopened.body as ReadableStream<Uint8Array>).getReader()
      const decoder = new TextDecoder()
      for (let reads = 0; reads < 100 && !events.some((event) => event.data.includes('"private"')); reads++) {
        const { value, done } = await reader.read()
        if (done) break
        parse(decoder.decode(value, { stream: true }))
      }
      expect(events.map((event) => event.type)).toEqual(['session', 'message'])
      expect(JSON.parse(events[1]!.data)).toMatchObject({ t: 'event', e: 'private', d: 'for the client only' })
      // The re-opened stream carries a new token: the used one stays used.
      expect(JSON.parse(events[0]!.data).resume).not.toBe(peer.resumeToken)
      expect(conn.connected).toBe(true)
    } finally {
      aborted.abort()
    }
  })
})
