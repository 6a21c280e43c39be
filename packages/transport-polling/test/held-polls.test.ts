import { RealtimeServer, type Connection } from '@org/realtime-server'
import { pollingTransport } from '@org/realtime-transport-polling/server'
import { describe, expect, it } from 'vitest'
import { once } from '../../../test/support.js'

const HOLD_MS = 300

/** Opens a session of `rt` at `url` and takes its welcome; returns its poll and its connection. */
async function openSession(rt: RealtimeServer, url: string) {
  const { sid, key } = (await (await fetch(`${url}?transport=polling`)).json()) as { sid: string; key: string }
  const request = (init: RequestInit = {}) => fetch(`${url}?transport=polling&sid=${sid}`, { ...init, headers: { 'x-realtime-key': key } })
  const connected = once<Connection>(rt, 'connection')
  await request({ method: 'POST', body: '{"t":"hello","v":1}' })
  const conn = await connected
  expect(JSON.parse(await (await request()).text())).toMatchObject({ t: 'welcome' })
  return { conn, poll: () => request() }
}

/** Polls, and resolves with the body and how long after `start` (`performance.now()`) the answer came. */
async function timedPoll(poll: () => Promise<Response>, start: number) {
  const body = await (await poll()).text()
  return { body, atMs: performance.now() - start }
}

describe('held long-polls', () => {
  it('answers each empty poll holdMs after it arrived, whether polls before it were answered early or held', async () => {
    const rt = new RealtimeServer({ transports: [pollingTransport({ holdMs: HOLD_MS })] })
    const port = await rt.listen(0, { host: '127.0.0.1' })
    const url = `http://127.0.0.1:${port}/realtime`
    try {
      const [a, b, c] = [await openSession(rt, url), await openSession(rt, url), await openSession(rt, url)]
      const start = performance.now()
      const first = timedPoll(a.poll, start)
      await new Promise((resolve) => setTimeout(resolve, 100))
      const second = timedPoll(b.poll, start)
      await new Promise((resolve) => setTimeout(resolve, 100))
      const third = timedPoll(c.poll, start)
      // The earliest poll is answered early; the two after it keep their own hold time.
      a.conn.emit('n', 1)
      const answers = await Promise.all([first, second, third])
      expect(answers.map(({ body }) => body)).toEqual(['{"t":"event","e":"n","d":1}', '', ''])
      expect(answers[0]?.atMs).toBeLessThan(100 + HOLD_MS)
      expect(answers[1]?.atMs).toBeGreaterThanOrEqual(100 + HOLD_MS - 10)
      expect(answers[2]?.atMs).toBeGreaterThanOrEqual(200 + HOLD_MS - 10)
      // A poll that arrives once the others are answered is held its whole time too.
      const again = performance.now()
      const fourth = await timedPoll(b.poll, again)
      expect(fourth.body).toBe('')
      expect(fourth.atMs).toBeGreaterThanOrEqual(HOLD_MS - 10)
    } finally {
      await rt.close()
    }
  })
})
