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
      const run = async (): Promise<void> => {
        // The open's answer brings the session's id and key, and its first frames when they are ready.
        let target = withQuery(url, { transport: 'polling', [FRAMES_IN_OPEN]: '1', [NUMBERED_ANSWERS]: '1' })
        // The key goes in a header of every long-poll: the URL alone does not give the session away.
        let headers: Record<string, string> | undefined
        while (!session.finished) {
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
            // Numbered answers (a server that says so): a POST's answer may overtake a long-poll's.
            if (answers === 1) session.numberFrom(0)
            target = withQuery(url, { transport: 'polling', sid })
            headers = { [KEY_HEADER]: key }
            session.started(target, key)
          }
          const numbered = session.numbered
          // A numbered answer: the number of its first frame (of the next frame, for a close without frames), then the frames.
          if (numbered && lines.length > 0 && lines[0] !== '') session.receivedNumbered(Number(lines[0]), lines.slice(1))
          else if (!numbered) for (const frame of lines) if (frame.length > 0) session.received(frame)
          if (closing !== null) {
            const { code, reason } = parseCloseHeader(closing)
            // Numbered, the close comes after the frames numbered before it: an answer to a POST may still be on its way.
            if (numbered) session.finishAfter(Number(lines[0]) + lines.length - 1, code, reason)
            else session.finish(code, reason)
            return
          }
        }
      }
      run().catch((error: unknown) => session.fail(error))
      return session
    },
  }
}
