import { RealtimeServer } from '@org/realtime-server'
import { pollingTransport as pollingClient } from '@org/realtime-transport-polling/client'
import { pollingTransport } from '@org/realtime-transport-polling/server'
import { afterEach, describe, expect, it } from 'vitest'
import { delayingFetch, expectAckBeforeOvertakingClose, expectPushBeforeOvertakingAck } from '../../../test/post-answer-order.js'
import { connectedClient } from '../../../test/support.js'

let rt: RealtimeServer | undefined
afterEach(async () => {
  await rt?.close()
  rt = undefined
})

async function serve(): Promise<string> {
  const server = new RealtimeServer({ transports: [pollingTransport({ holdMs: 2000 })] })
  server.on('connection', (conn) => {
    conn.on('echo', (data) => data)
    conn.on('later', async (data) => {
      await new Promise((resolve) => setTimeout(resolve, 20))
      return data
    })
  })
  rt = server
  const port = await server.listen(0, { host: '127.0.0.1' })
  return `http://127.0.0.1:${port}/realtime`
}

/** A session opened with `query`: its id, key, the open's other lines, and requests on it. */
async function openSession(url: string, query: string) {
  const response = await fetch(`${url}?transport=polling&frames=1&hello=1&${query}`)
  expect(response.status).toBe(200)
  const [opening, ...rest] = (await response.text()).split('\n')
  const { sid, key, answers } = JSON.parse(opening!) as { sid: string; key: string; answers?: number }
  const session = `${url}?transport=polling&sid=${sid}`
  const headers = { 'x-realtime-key': key }
  return {
    answers,
    rest,
    post: (frames: string[]) => fetch(session, { method: 'POST', headers, body: frames.join('\n') }),
    /** A POST whose body arrives in two parts: `rest` once `finish` is called. */
    slowPost(first: string, rest: string) {
      let finish = (): void => {}
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(first))
          finish = () => {
            controller.enqueue(new TextEncoder().encode(rest))
            controller.close()
          }
        },
      })
      const response = fetch(session, { method: 'POST', headers, body, duplex: 'half' } as RequestInit)
      return { response, finish: () => finish() }
    },
    poll: () => fetch(session, { headers }),
  }
}

const event = (e: string, d: unknown, id: number) => JSON.stringify({ t: 'event', e, d, id })

describe('long-polling with numbered answers', () => {
  it('answers a POST with the acks it caused, numbered after the open’s frames, while the long-poll stays held', async () => {
    const url = await serve()
    const session = await openSession(url, 'answers=1')
    expect(session.answers).toBe(1)
    // The open's frames start at 0: the welcome.
    expect(session.rest[0]).toBe('0')
    expect(JSON.parse(session.rest[1]!)).toMatchObject({ t: 'welcome' })
    let pollAnswered = false
    const poll = session.poll().then(async (response) => {
      pollAnswered = true
      return response.text()
    })
    const first = await session.post([event('echo', 'a', 1), event('echo', 'b', 2)])
    expect(first.status).toBe(200)
    const lines = (await first.text()).split('\n')
    expect(lines[0]).toBe('1')
    expect(lines.slice(1).map((line) => JSON.parse(line))).toEqual([
      { t: 'ack', id: 1, d: 'a' },
      { t: 'ack', id: 2, d: 'b' },
    ])
    const second = await session.post([event('echo', 'c', 3)])
    expect((await second.text()).split('\n')).toEqual(['3', JSON.stringify({ t: 'ack', id: 3, d: 'c' })])
    expect(pollAnswered).toBe(false)
    // A reply that comes later than the POST's answer goes down the held long-poll, numbered on.
    const later = await session.post([event('later', 'd', 4)])
    expect(later.status).toBe(204)
    expect((await poll).split('\n')).toEqual(['4', JSON.stringify({ t: 'ack', id: 4, d: 'd' })])
  })

  it('answers POSTs 204 and leaves frames unnumbered for a client that did not ask', async () => {
    const url = await serve()
    const session = await openSession(url, '')
    expect(session.answers).toBeUndefined()
    expect(JSON.parse(session.rest[0]!)).toMatchObject({ t: 'welcome' })
    const posted = await session.post([event('echo', 'a', 1)])
    expect(posted.status).toBe(204)
    expect(await (await session.poll()).text()).toBe(JSON.stringify({ t: 'ack', id: 1, d: 'a' }))
  })

  it('keeps frames for the answer of a POST still being read when a second POST is refused', async () => {
    const url = await serve()
    const session = await openSession(url, 'answers=1')
    let pollAnswered = false
    // Held until the server closes at the end of the test.
    session.poll().then(
      () => (pollAnswered = true),
      () => {},
    )
    const slow = session.slowPost(event('echo', 'a', 1).slice(0, 10), event('echo', 'a', 1).slice(10))
    // Empty POSTs (harmless if one comes first) until one is refused: the slow one is in flight.
    let refused = 0
    for (let attempt = 0; attempt < 100 && refused !== 409; attempt++) {
      refused = (await session.post([])).status
      if (refused !== 409) await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(refused).toBe(409)
    // Sent while the first POST is read: it waits for that POST's answer, not for the held long-poll.
    rt!.emit('note', 'n')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(pollAnswered).toBe(false)
    slow.finish()
    const answered = await slow.response
    expect(answered.status).toBe(200)
    expect((await answered.text()).split('\n')).toEqual(['1', JSON.stringify({ t: 'event', e: 'note', d: 'n' }), JSON.stringify({ t: 'ack', id: 1, d: 'a' })])
    expect(pollAnswered).toBe(false)
  })

  it('delivers in the order sent when a POST’s answer overtakes the long-poll’s', async () => {
    const url = await serve()
    // Long-poll answers reach the client 150 ms late: the POST's answer overtakes them.
    const slowPolls = delayingFetch((init, target) => (init?.method ?? 'GET') === 'GET' && target.includes('sid='))
    await expectPushBeforeOvertakingAck(rt!, url, pollingClient({ fetch: slowPolls }))
  })

  it('closes only after the frames sent before the close, when the close overtakes a POST’s answer', async () => {
    const url = await serve()
    await expectAckBeforeOvertakingClose(rt!, url, (fetch) => pollingClient({ fetch }))
  })
})
