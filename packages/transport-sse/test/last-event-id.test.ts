import { ErrorCode } from '@org/realtime-core'
import type { Connection } from '@org/realtime-server'
import { sseTransport as sseClient } from '@org/realtime-transport-sse/client'
import { describe, expect, it } from 'vitest'
import { fetchFrom } from '../../../test/fetch-from-address.js'
import { createClient, once, startServer } from '../../../test/support.js'

/** Reads a raw event stream until `enough` holds or it ends, within 5 s, then lets it go. */
async function readStream(response: Response, enough: (text: string) => boolean): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let text = ''
  let timer: ReturnType<typeof setTimeout> | undefined
  const timedOut = new Promise<{ done: true; value: undefined }>((resolve) => (timer = setTimeout(() => resolve({ done: true, value: undefined }), 5000)))
  while (!enough(text)) {
    const { value, done } = await Promise.race([reader.read(), timedOut])
    if (done) break
    text += decoder.decode(value, { stream: true })
  }
  clearTimeout(timer)
  await reader.cancel()
  return text
}

/** The ids of the events in a stream's text. */
function eventIds(text: string): number[] {
  return [...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]))
}

/**
 * A session opened with `hello=1`, whose stream has carried the welcome (event 1) and two events
 * (2 and 3), then dropped. Returns its connection, key and URL, and the URL that resumes its stream.
 */
async function droppedSession(url: string, rtConnection: Promise<Connection>) {
  const opened = await fetch(`${url}?transport=sse&hello=1`)
  const conn = await rtConnection
  conn.emit('n', 1)
  conn.emit('n', 2)
  const text = await readStream(opened, (received) => eventIds(received).includes(3))
  const { sid, key, resume } = JSON.parse(/event: session\ndata: (\S+)/.exec(text)?.[1] as string) as { sid: string; key: string; resume: string }
  return { conn, key, sessionUrl: `${url}?transport=sse&sid=${sid}`, resumeUrl: `${url}?transport=sse&sid=${sid}&resume=${resume}` }
}

/** The `session` event of a stream's text: the session's id and the token that resumes its stream. */
function sessionOf(text: string): { sid: string; resume: string } {
  return JSON.parse(/event: session\ndata: (\S+)/.exec(text)?.[1] as string) as { sid: string; resume: string }
}

describe('resuming an event stream with Last-Event-ID', () => {
  it('replays the welcome when it is the only event sent, then the events after it once more follow', async () => {
    const { rt, url } = await startServer()
    const connected = once<Connection>(rt, 'connection')
    const opened = await fetch(`${url}?transport=sse&hello=1`)
    const conn = await connected
    const first = sessionOf(await readStream(opened, (text) => eventIds(text).includes(1)))
    const again = await fetch(`${url}?transport=sse&sid=${first.sid}&resume=${first.resume}`)
    expect(again.status).toBe(200)
    conn.emit('n', 1)
    const replayed = await readStream(again, (text) => eventIds(text).includes(2))
    expect(eventIds(replayed)).toEqual([1, 2])
    expect(replayed).toContain('"t":"welcome"')
    const third = await fetch(`${url}?transport=sse&sid=${first.sid}&resume=${sessionOf(replayed).resume}`, { headers: { 'last-event-id': '1' } })
    conn.emit('n', 2)
    expect(eventIds(await readStream(third, (text) => eventIds(text).includes(3)))).toEqual([2, 3])
  })

  it('replays from the first event a resume without Last-Event-ID, as the protocol says', async () => {
    const { rt, url } = await startServer()
    const { resumeUrl } = await droppedSession(url, once<Connection>(rt, 'connection'))
    const resumed = await fetch(resumeUrl)
    expect(resumed.status).toBe(200)
    expect(eventIds(await readStream(resumed, (text) => eventIds(text).includes(3)))).toEqual([1, 2, 3])
  })

  it('replays after the id a Last-Event-ID of decimal digits names, in the header or the lastEventId parameter', async () => {
    const { rt, url } = await startServer()
    const first = await droppedSession(url, once<Connection>(rt, 'connection'))
    const byHeader = await fetch(first.resumeUrl, { headers: { 'last-event-id': '01' } })
    expect(eventIds(await readStream(byHeader, (text) => eventIds(text).includes(3)))).toEqual([2, 3])
    const second = await droppedSession(url, once<Connection>(rt, 'connection'))
    const byParameter = await fetch(`${second.resumeUrl}&lastEventId=2`)
    expect(eventIds(await readStream(byParameter, (text) => eventIds(text).includes(3)))).toEqual([3])
  })

  it('refuses with 410 a Last-Event-ID that is not decimal digits, ends that session, and another client keeps its own', async () => {
    const { rt, url } = await startServer()
    rt.on('connection', (conn) => conn.on('echo', (data) => data))
    // The bystander connects from another address, and is not touched by what the others send.
    const bystander = createClient(url, { transports: [sseClient({ fetch: fetchFrom('127.0.0.2') })] })
    await once(bystander.lifecycle, 'connect')
    const malformed: Array<[string, RequestInit | undefined, string]> = [
      ['0x1', { headers: { 'last-event-id': '0x1' } }, ''],
      ['1e0', { headers: { 'last-event-id': '1e0' } }, ''],
      ['empty', { headers: { 'last-event-id': '' } }, ''],
      ['-1', { headers: { 'last-event-id': '-1' } }, ''],
      ['1.0', { headers: { 'last-event-id': '1.0' } }, ''],
      ['past the largest safe integer', { headers: { 'last-event-id': '9007199254740993' } }, ''],
      ['a lastEventId parameter 0x1', undefined, '&lastEventId=0x1'],
    ]
    for (const [what, init, query] of malformed) {
      const connected = once<Connection>(rt, 'connection')
      const { conn, key, sessionUrl, resumeUrl } = await droppedSession(url, connected)
      const refused = await fetch(`${resumeUrl}${query}`, init)
      expect({ what, status: refused.status, body: await refused.json() }).toEqual({
        what,
        status: 410,
        body: { code: ErrorCode.UnknownSession, message: 'Last-Event-ID must be an event id: decimal digits' },
      })
      // No frame is missed silently: the HTTP session ends (the realtime one waits for a resume over a new one).
      expect(conn.connected).toBe(false)
      const posted = await fetch(sessionUrl, { method: 'POST', body: '{"t":"ping"}', headers: { 'x-realtime-key': key } })
      expect(posted.status).toBe(404)
    }
    await expect(bystander.emitWithAck('echo', 'still here')).resolves.toBe('still here')
  })
})
