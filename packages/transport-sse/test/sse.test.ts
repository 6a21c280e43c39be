import { RealtimeClient } from '@org/realtime-client'
import { RealtimeServer } from '@org/realtime-server'
import { sseTransport as sseClient } from '@org/realtime-transport-sse/client'
import { sseTransport } from '@org/realtime-transport-sse/server'
import { describe, expect, it } from 'vitest'
import { once } from '../../../test/support.js'
import { sseTransport as browserSseClient } from '../src/client.js'
import { createSseParser, type SseEvent } from '../src/internal/parse-sse.js'

async function setup(options: Parameters<typeof sseTransport>[0] = {}) {
  const sse = sseTransport(options)
  const rt = new RealtimeServer({ transports: [sse] })
  rt.on('connection', (conn) => conn.on('echo', (data) => data))
  const port = await rt.listen(0, { host: '127.0.0.1' })
  return { rt, sse, url: `http://127.0.0.1:${port}/realtime` }
}

/** The `session` event at the start of a stream: `{ sid, key, resume }`. */
function sessionOf(text: string): { sid: string; key: string; resume: string } {
  return JSON.parse(/event: session\ndata: (\S+)/.exec(text)![1]!)
}

/** Reads a raw event stream until `enough` says so, within 5 s. */
async function readStream(response: Response, enough: (text: string) => boolean): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let text = ''
  const deadline = Date.now() + 5000
  while (!enough(text) && Date.now() < deadline) {
    const { value, done } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
  }
  await reader.cancel()
  return text
}

describe('SSE transport', () => {
  it('streams with the headers proxies need, a session event, and comment keep-alives', async () => {
    const { rt, url } = await setup({ keepAliveMs: 30 })
    try {
      const response = await fetch(`${url}?transport=sse`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      expect(response.headers.get('cache-control')).toContain('no-cache')
      expect(response.headers.get('x-accel-buffering')).toBe('no')
      const text = await readStream(response, (received) => received.includes(': keep-alive\n\n'))
      expect(text).toMatch(/^retry: 1000\nevent: session\ndata: \{"sid":"sse_[0-9a-f]{30}","key":"[0-9a-f]{32}","resume":"[0-9a-f]{32}"\}\n\n/)
      expect(text).toContain(': keep-alive\n\n')
    } finally {
      await rt.close()
    }
  })

  it('numbers every frame and resumes a dropped stream after Last-Event-ID, without loss', async () => {
    const { rt, url } = await setup()
    try {
      const first = await fetch(`${url}?transport=sse`)
      const opened = await readStream(first, (text) => text.includes('event: session'))
      const { sid, key, resume } = sessionOf(opened)
      const post = (body: string) => fetch(`${url}?transport=sse&sid=${sid}`, { method: 'POST', body, headers: { 'x-realtime-key': key } })
      const connected = once(rt, 'connection')
      await post('{"t":"hello","v":1}')
      const conn = await connected
      // The first stream is gone (cancelled above); frames sent meanwhile are kept.
      for (let n = 1; n <= 3; n++) conn.emit('n', n)
      const resumed = await fetch(`${url}?transport=sse&sid=${sid}&resume=${resume}`, { headers: { 'last-event-id': '1' } })
      const text = await readStream(resumed, (received) => received.includes('"d":3'))
      const events: SseEvent[] = []
      createSseParser((event) => events.push(event))(text)
      expect(events.map((event) => (event.type === 'session' ? 'session' : JSON.parse(event.data).d))).toEqual(['session', 1, 2, 3])
      expect(text).toContain('id: 2\ndata: {"t":"event","e":"n","d":1}\n\n')
    } finally {
      await rt.close()
    }
  })

  it('notices a client whose stream went away, and ends its session after sessionTimeoutMs', async () => {
    const { rt, sse, url } = await setup({ sessionTimeoutMs: 200 })
    try {
      const reader = ((await fetch(`${url}?transport=sse`)).body as ReadableStream<Uint8Array>).getReader()
      const { value } = await reader.read()
      const { sid, key } = sessionOf(new TextDecoder().decode(value))
      const connected = once(rt, 'connection')
      await fetch(`${url}?transport=sse&sid=${sid}`, { method: 'POST', body: '{"t":"hello","v":1}', headers: { 'x-realtime-key': key } })
      const conn = await connected
      const disconnected = once<{ code: number }>(conn, 'disconnect')
      // The client goes away: its socket closes under the stream the server is writing.
      await reader.cancel()
      expect((await disconnected).code).toBe(1006)
      expect(sse.sessionCount).toBe(0)
    } finally {
      await rt.close()
    }
  })

  it('refuses a resume from before the kept events with 410 and ends the session', async () => {
    const { rt, sse, url } = await setup({ resumeBytes: 100 })
    try {
      const opened = await readStream(await fetch(`${url}?transport=sse`), (text) => text.includes('event: session'))
      const { sid, key } = sessionOf(opened)
      const connected = once(rt, 'connection')
      await fetch(`${url}?transport=sse&sid=${sid}`, { method: 'POST', body: '{"t":"hello","v":1}', headers: { 'x-realtime-key': key } })
      const conn = await connected
      for (let n = 1; n <= 20; n++) conn.emit('n', 'x'.repeat(20))
      const response = await fetch(`${url}?transport=sse&sid=${sid}`, { headers: { 'last-event-id': '1', 'x-realtime-key': key } })
      expect(response.status).toBe(410)
      expect(((await response.json()) as { code: string }).code).toBe('UNKNOWN_SESSION')
      expect(sse.sessionCount).toBe(0)
      expect(conn.connected).toBe(false)
    } finally {
      await rt.close()
    }
  })

  it('serves a client entirely through handleRequest, with no HTTP server: the fetch-API mode', async () => {
    const rt = new RealtimeServer({ transports: [sseTransport()] })
    rt.on('connection', (conn) => conn.on('echo', (data) => data))
    const fetchThroughHandler: typeof fetch = async (input, init) => rt.handleRequest(new Request(input, init))
    const client = new RealtimeClient('http://app.example/api/realtime', { transports: [sseClient({ fetch: fetchThroughHandler })] })
    try {
      await once(client.lifecycle, 'connect')
      await expect(client.emitWithAck('echo', 'through a route handler')).resolves.toBe('through a route handler')
    } finally {
      client.disconnect()
      await rt.close()
    }
  })

  it('closes at once with 1006 in its browser build when there is no EventSource, so a client moves on', async () => {
    expect((globalThis as { EventSource?: unknown }).EventSource).toBeUndefined()
    const closed = new Promise<[number, string]>((resolve) => {
      browserSseClient().open('http://127.0.0.1:9/realtime', { open: () => {}, message: () => {}, close: (code, reason) => resolve([code, reason]) })
    })
    expect(await closed).toEqual([1006, 'No EventSource: pass one as the `EventSource` option'])
  })

  it('reads the stream with an EventSource when one is given', async () => {
    const { rt, url } = await setup()
    // A minimal EventSource over fetch, standing in for the browser's.
    class FetchEventSource {
      onerror: ((event: unknown) => void) | null = null
      readonly #listeners = new Map<string, (event: { data: string }) => void>()
      readonly #aborted = new AbortController()
      constructor(target: string) {
        void fetch(target, { signal: this.#aborted.signal }).then(async (response) => {
          const parse = createSseParser((event) => this.#listeners.get(event.type)?.({ data: event.data }))
          const reader = (response.body as ReadableStream<Uint8Array>).getReader()
          const decoder = new TextDecoder()
          for (;;) {
            const { value, done } = await reader.read()
            if (done) break
            parse(decoder.decode(value, { stream: true }))
          }
        }).catch(() => this.onerror?.({}))
      }
      addEventListener(type: string, listener: (event: { data: string }) => void): void {
        this.#listeners.set(type, listener)
      }
      close(): void {
        this.#aborted.abort()
      }
    }
    const client = new RealtimeClient(url, { transports: [sseClient({ EventSource: FetchEventSource })] })
    try {
      await once(client.lifecycle, 'connect')
      await expect(client.emitWithAck('echo', 42)).resolves.toBe(42)
    } finally {
      client.disconnect()
      await rt.close()
    }
  })
})

describe('SSE parser', () => {
  it('parses events split across chunks at any point, with CRLF, comments, multi-line data and ids', () => {
    const stream = ': hi\r\nevent: session\r\ndata: abc\r\n\r\nid: 1\ndata: {"a":1}\n\ndata: line 1\ndata: line 2\n\n'
    for (let cut = 0; cut < stream.length; cut++) {
      const events: SseEvent[] = []
      const parse = createSseParser((event) => events.push(event))
      parse(stream.slice(0, cut))
      parse(stream.slice(cut))
      expect(events).toEqual([
        { type: 'session', data: 'abc', lastEventId: '' },
        { type: 'message', data: '{"a":1}', lastEventId: '1' },
        // The last id so far, as EventSource's lastEventId.
        { type: 'message', data: 'line 1\nline 2', lastEventId: '1' },
      ])
    }
  })
})
