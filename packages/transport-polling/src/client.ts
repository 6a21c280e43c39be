/**
 * Long-polling transport, client half, on fetch.
 * @module @org/realtime-transport-polling/client
 */
import type { ClientSocket, ClientSocketListener, ClientTransport } from '@org/realtime-core'
import { HttpClientSession, HttpRefusal, closeCodeOf, parseCloseHeader, withQuery } from '@org/realtime-core/http-client'

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
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis)
  const credentials: RequestCredentials = options.withCredentials === true ? 'include' : 'same-origin'
  return {
    name: 'polling',
    open(url: string, listener: ClientSocketListener): ClientSocket {
      const aborted = new AbortController()
      const session = new HttpClientSession(listener, fetchImpl, credentials)
      session.stopDelivery = () => aborted.abort()
      const request = async (target: string): Promise<Response> => {
        const response = await fetchImpl(target, { credentials, signal: aborted.signal, cache: 'no-store' })
        if (!response.ok) {
          await response.body?.cancel()
          throw new HttpRefusal(response.status)
        }
        return response
      }
      const run = async (): Promise<void> => {
        const { sid } = (await (await request(withQuery(url, { transport: 'polling' }))).json()) as { sid: string }
        const sessionUrl = withQuery(url, { transport: 'polling', sid })
        session.started(sessionUrl)
        while (!session.finished) {
          const response = await request(sessionUrl)
          for (const frame of (await response.text()).split('\n')) if (frame.length > 0) session.received(frame)
          const closing = response.headers.get('x-realtime-close')
          if (closing !== null) {
            const { code, reason } = parseCloseHeader(closing)
            session.finish(code, reason)
          }
        }
      }
      run().catch((error: unknown) => session.finish(closeCodeOf(error), error instanceof Error ? error.message : 'polling failed'))
      return session
    },
  }
}
