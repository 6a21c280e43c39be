/**
 * Long-polling transport, client half, on fetch.
 * @module @org/realtime-transport-polling/client
 */
import type { ClientSocket, ClientSocketListener, ClientTransport } from '@org/realtime-core'
import { HttpClientSession, HttpRefusal, KEY_HEADER, parseCloseHeader, withQuery } from '@org/realtime-core/http-client'
import { FRAMES_IN_OPEN, NUMBERED_ANSWERS } from './internal/open-query.js'

const CLOSE_HEADER = 'x-realtime-close'

/** Options of the long-polling client transport. */
export interface PollingClientTransportOptions {
  /**
   * The fetch implementation.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch
  /**
   * Send cookies to a server on another origin.
   * @default false
   */
  withCredentials?: boolean
}

/**
 * The long-polling transport for `RealtimeClient`: the last resort, plain requests that any
 * proxy passes. Frames arrive in batches on held GETs and go up in POSTs.
 *
 * @example
 * new RealtimeClient(url, { transports: [webSocketTransport(), sseTransport(), pollingTransport()] })
 */
export function pollingTransport(options: PollingClientTransportOptions = {}): ClientTransport {
  return {
    name: 'polling',
    open(url: string, listener: ClientSocketListener): ClientSocket {
      const aborted = new AbortController()
      const session = new HttpClientSession(listener, options)
      session.stopDelivery = () => aborted.abort()
      // Numbered answers (a server that says so at the open): a POST's answer may overtake a long-poll's.
      let numbered = false
      let next = 0
      /** Answers that came before one sent earlier, by the number of their first frame. */
      const early = new Map<number, string[]>()
      /** The close, once every frame numbered below `closeAfter` is handed over. */
      let close: (() => void) | undefined
      let closeAfter = 0
      const take = (lines: string[]): void => {
        if (!numbered) {
          for (const frame of lines) if (frame.length > 0) session.received(frame)
          return
        }
        // An empty answer has no number, a close without frames no frames: nothing to order.
        if (lines.length > 1) early.set(Number(lines[0]), lines.slice(1))
        for (let frames = early.get(next); frames !== undefined; frames = early.get(next)) {
          early.delete(next)
          next += frames.length
          for (const frame of frames) session.received(frame)
        }
        if (close !== undefined && next >= closeAfter) close()
      }
      session.postAnswered = (body) => take(body.split('\n'))
      const run = async (): Promise<void> => {
        // The open's answer brings the session's id and key, and its first frames when they are ready.
        let target = withQuery(url, { transport: 'polling', [FRAMES_IN_OPEN]: '1', [NUMBERED_ANSWERS]: '1' })
        // The key goes in a header of every long-poll: the URL alone does not give the session away.
        let headers: Record<string, string> | undefined
        // Until the close came (it may wait for the answer to a POST) or the session ended otherwise.
        while (!session.finished && close === undefined) {
          const response = await session.fetch(target, { headers, credentials: session.credentials, signal: aborted.signal, cache: 'no-store' })
          // A refusal the server explains with a close (an open over a limit, say) is read like a long-poll's close.
          const closing = response.headers.get(CLOSE_HEADER)
          if (closing === null && !response.ok) {
            await response.body?.cancel()
            throw new HttpRefusal(response.status)
          }
          const lines = (await response.text()).split('\n')
          if (headers === undefined && response.ok) {
            // The open: the session's id and key on the first line, then frames if any (and the close
            // of a session refused while its open was held).
            const { sid, key, [NUMBERED_ANSWERS]: answers } = JSON.parse(lines.shift() as string) as { sid: string; key: string; [NUMBERED_ANSWERS]?: number }
            numbered = answers === 1
            target = withQuery(url, { transport: 'polling', sid })
            headers = { [KEY_HEADER]: key }
            session.started(target, key)
          }
          if (closing !== null) {
            const { code, reason } = parseCloseHeader(closing)
            close = () => session.finish(code, reason)
            // Numbered, the close's answer says how many frames come before it: an answer to a POST
            // sent earlier may still be on its way.
            if (numbered) closeAfter = Number(lines[0]) + lines.length - 1
          }
          take(lines)
          if (!numbered) close?.()
        }
      }
      run().catch((error: unknown) => session.fail(error))
      return session
    },
  }
}
