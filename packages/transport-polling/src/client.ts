/**
 * Long-polling transport, client half, on fetch.
 * @module @org/realtime-transport-polling/client
 */
import { type ClientSocket, type ClientSocketListener, type ClientTransport, CloseCode } from '@org/realtime-core'
import { HttpRefusal, PostQueue, closeCodeOf, parseCloseHeader, withQuery } from '@org/realtime-core/http'

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
      let post: PostQueue | undefined
      let sessionUrl: string | undefined
      let finished = false
      const finish = (code: number, reason: string): void => {
        if (finished) return
        finished = true
        aborted.abort()
        post?.close()
        listener.close(code, reason)
      }
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
        sessionUrl = withQuery(url, { transport: 'polling', sid })
        post = new PostQueue({ url: sessionUrl, fetch: fetchImpl, credentials, onFailure: finish })
        listener.open()
        while (!finished) {
          const response = await request(sessionUrl)
          const body = await response.text()
          for (const frame of body.split('\n')) if (frame.length > 0 && !finished) listener.message(frame)
          const closing = response.headers.get('x-realtime-close')
          if (closing !== null) {
            const { code, reason } = parseCloseHeader(closing)
            finish(code, reason)
          }
        }
      }
      run().catch((error: unknown) => finish(closeCodeOf(error), error instanceof Error ? error.message : 'polling failed'))
      return {
        send: (frame) => post?.send(frame),
        close: (code = CloseCode.Normal, reason = '') => {
          if (sessionUrl !== undefined && !finished) void fetchImpl(sessionUrl, { method: 'DELETE', credentials, keepalive: true }).catch(() => {})
          finish(code, reason)
        },
        setMaxPayload: (bytes) => post?.setMaxBytes(bytes),
      }
    },
  }
}
