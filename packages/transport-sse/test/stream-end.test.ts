import type { Connection } from '@org/realtime-server'
import { RealtimeServer } from '@org/realtime-server'
import { sseTransport } from '@org/realtime-transport-sse/server'
import { afterEach, describe, expect, it } from 'vitest'
import { once, startServer } from '../../../test/support.js'

/** A URL for `rt.handleRequest`: in fetch-API mode nothing listens, the runtime hands requests over. */
const base = 'http://realtime.test/realtime'
const servers: RealtimeServer[] = []

afterEach(async () => {
  for (const rt of servers.splice(0)) await rt.close()
})

/** A server in fetch-API mode (no HTTP server), with a short `closeTimeoutMs`. */
function fetchModeServer(): RealtimeServer {
  const rt = new RealtimeServer({ transports: [sseTransport()], closeTimeoutMs: 50 })
  servers.push(rt)
  return rt
}

/** Reads `reader` until `enough` holds or the stream ends, within 5 s; returns the text and whether it ended. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, enough: (text: string) => boolean): Promise<{ text: string; ended: boolean }> {
  const decoder = new TextDecoder()
  let text = ''
  const deadline = Date.now() + 5000
  while (!enough(text)) {
    const { value, done } = await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the stream neither ended nor said enough within 5 s: ${text}`)), Math.max(0, deadline - Date.now()))),
    ])
    if (done) return { text, ended: true }
    text += decoder.decode(value, { stream: true })
  }
  return { text, ended: false }
}

/** Opens a session through `rt.handleRequest`, with `hello=1`, and reads its stream up to the welcome. */
async function openThroughHandleRequest(rt: RealtimeServer, signal?: AbortSignal) {
  const connected = once<Connection>(rt, 'connection')
  const response = await rt.handleRequest(new Request(`${base}?transport=sse&hello=1`, { signal }))
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const { text } = await readUntil(reader, (received) => received.includes('"t":"welcome"'))
  const { sid, key } = JSON.parse(/event: session\ndata: (\S+)/.exec(text)?.[1] as string) as { sid: string; key: string }
  const remove = () => rt.handleRequest(new Request(`${base}?transport=sse&sid=${sid}&code=1000`, { method: 'DELETE', headers: { 'x-realtime-key': key } }))
  return { response, reader, conn: await connected, remove }
}

describe('the end of an event stream', () => {
  it('ends cleanly in fetch-API mode when the client DELETEs its session, even with events the runtime has not read yet', async () => {
    const rt = fetchModeServer()
    const { reader, conn, remove } = await openThroughHandleRequest(rt)
    const bystander = await openThroughHandleRequest(rt)
    for (let n = 1; n <= 3; n++) conn.emit('n', n)
    // The events of a turn are written at its end: now they wait in the stream for the runtime.
    await new Promise((resolve) => setImmediate(resolve))
    const gone = once(conn, 'disconnect')
    expect((await remove()).status).toBe(204)
    expect(await gone).toMatchObject({ code: 1000 })
    // A runtime that comes back for the body only after closeTimeoutMs (50 ms) still finds an end, not an error.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const rest = await readUntil(reader, () => false)
    expect(rest.ended).toBe(true)
    expect(rest.text).not.toContain('event: close')
    // The other session's stream goes on.
    bystander.conn.emit('still', 'here')
    expect((await readUntil(bystander.reader, (text) => text.includes('"e":"still"'))).ended).toBe(false)
  })

  it('ends in fetch-API mode when the request went away, so that the runtime is not left holding an open stream', async () => {
    const rt = fetchModeServer()
    const aborted = new AbortController()
    const { reader, conn } = await openThroughHandleRequest(rt, aborted.signal)
    aborted.abort()
    expect((await readUntil(reader, () => false)).ended).toBe(true)
    // The session waits for a resume of its stream as before: it is not ended by this.
    expect(conn.connected).toBe(true)
  })

  it('ends cleanly on a Node.js server when the client DELETEs its session', async () => {
    const { rt, url } = await startServer()
    const connected = once<Connection>(rt, 'connection')
    const response = await fetch(`${url}?transport=sse&hello=1`)
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const { text } = await readUntil(reader, (received) => received.includes('"t":"welcome"'))
    const { sid, key } = JSON.parse(/event: session\ndata: (\S+)/.exec(text)?.[1] as string) as { sid: string; key: string }
    const conn = await connected
    conn.emit('n', 1)
    const removed = await fetch(`${url}?transport=sse&sid=${sid}&code=1000`, { method: 'DELETE', headers: { 'x-realtime-key': key } })
    expect(removed.status).toBe(204)
    const rest = await readUntil(reader, () => false)
    expect(rest.ended).toBe(true)
    expect(rest.text).not.toContain('event: close')
  })

  it('is sent as identity-encoded and no-transform, so that compressing proxies and middleware pass events through at once', async () => {
    const { url } = await startServer()
    const attached = await fetch(`${url}?transport=sse`)
    const fetchMode = await fetchModeServer().handleRequest(new Request(`${base}?transport=sse`))
    for (const response of [attached, fetchMode]) {
      expect(response.status).toBe(200)
      expect(response.headers.get('content-encoding')).toBe('identity')
      expect(response.headers.get('cache-control')).toBe('no-cache, no-transform')
      expect(response.headers.get('x-accel-buffering')).toBe('no')
      await response.body?.cancel()
    }
  })
})
