import type { Connection } from '@org/realtime-server'
import { pollingTransport } from '@org/realtime-transport-polling/server'
import { sseTransport } from '@org/realtime-transport-sse/server'
import { webSocketTransport } from '@org/realtime-transport-ws/server'
import { expect, it } from 'vitest'
import { RawHttpPeer } from '../../../test/raw-http-peer.js'
import { describeTransports, once, rawPeer, startServer, until, type RawSocket } from '../../../test/support.js'

/** The recovery window, and the time an HTTP session waits for its client's next request. */
const WINDOW_MS = 1200
const SESSION_TIMEOUT_MS = 600

/** A server with a short window and HTTP session timeout, and a resumable session whose client vanishes. */
async function vanishingClient() {
  const { rt, port } = await startServer({
    transports: [
      webSocketTransport(),
      sseTransport({ sessionTimeoutMs: SESSION_TIMEOUT_MS }),
      pollingTransport({ holdMs: 5000, sessionTimeoutMs: SESSION_TIMEOUT_MS }),
    ],
    recovery: { windowMs: WINDOW_MS },
  })
  const connected = once<Connection>(rt, 'connection')
  // hello=1 asks for a session that can be resumed, as the bundled client does.
  const peer = await rawPeer(port, { query: 'hello=1' })
  const { token } = (await peer.next((frame) => frame.t === 'welcome')) as { token: string }
  expect(token).toEqual(expect.any(String))
  const conn = await connected
  return {
    port,
    conn,
    token,
    /** The client vanishes without a word: no DELETE, no close frame. Returns when, on `performance.now()`. */
    vanish(): number {
      if (peer instanceof RawHttpPeer) peer.terminate()
      else (peer as RawSocket).ws.terminate()
      return performance.now()
    },
  }
}

describeTransports('the recovery window', () => {
  it('runs out recovery.windowMs after the client vanished, however long its transport took to notice', async () => {
    const { conn, vanish } = await vanishingClient()
    const ended = once(conn, 'disconnect', 5000)
    const vanished = vanish()
    expect(await ended).toMatchObject({ code: 1006 })
    const waited = performance.now() - vanished
    // Not WINDOW_MS + SESSION_TIMEOUT_MS (1800 ms) on SSE and long-polling: the window counts from the drop.
    expect(waited).toBeGreaterThanOrEqual(WINDOW_MS - 50)
    expect(waited).toBeLessThan(WINDOW_MS + SESSION_TIMEOUT_MS / 2)
  })

  it('still resumes the session within the window once its transport noticed the drop', async () => {
    const { port, conn, token, vanish } = await vanishingClient()
    vanish()
    // SSE and long-polling notice after sessionTimeoutMs without a request of the client; WebSocket at once.
    await until(() => !conn.connected, 3000, 'the drop noticed')
    const back = await rawPeer(port)
    back.send({ t: 'hello', v: 1, resume: { token, s: 0 } })
    expect(await back.next((frame) => frame.t === 'welcome')).toMatchObject({ sid: conn.id, resumed: true })
  })
})
