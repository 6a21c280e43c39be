/**
 * Long-polling transport, client half, on fetch.
 * @module @org/realtime-transport-polling/client
 */
import type { ClientSocket, ClientSocketListener, ClientTransport } from '@org/realtime-core'
import { HttpClientSession, HttpRefusal, KEY_HEADER, parseCloseHeader, withQuery } from '@org/realtime-core/http-client'

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
        let target = withQuery(url, { transport: 'polling' })
        // The key goes in a header of every long-poll: the URL alone does not give the session away.
        let headers: Record<string, string> | undefined
        while (!session.finished) {
          const response = await session.fetch(target, { headers, credentials: session.credentials, signal: aborted.signal, cache: 'no-store' })
          // A refusal the server explains with a close (an open over a limit, say) is read like a long-poll's close.
          const closing = response.headers.get(CLOSE_HEADER)
          if (closing === null) {
            if (!response.ok) {
              await response.body?.cancel()
              throw new HttpRefusal(response.status)
            }
            if (headers === undefined) {
              // The open: the session's id and key.
              const { sid, key } = (await response.json()) as { sid: string; key: string }
              target = withQuery(url, { transport: 'polling', sid })
              headers = { [KEY_HEADER]: key }
              session.started(target, key)
              continue
            }
          }
          for (const frame of (await response.text()).split('\n')) if (frame.length > 0) session.received(frame)
          if (closing !== null) {
            const { code, reason } = parseCloseHeader(closing)
            session.finish(code, reason)
          }
        }
      }
      run().catch((error: unknown) => session.fail(error))
      return session
    },
  }
}
