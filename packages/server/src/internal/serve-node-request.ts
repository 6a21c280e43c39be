import type { IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCode, type Logger, type ServerTransport, type TransportHost } from '@org/realtime-core'

/**
 * Serves a Node.js request for the realtime path: the transport it names answers it directly on
 * `request` and `response` (`serve`: no fetch `Request` or `Response`); returns false when none
 * does (a transport that speaks only the fetch API, a request that names no transport), for the
 * fetch bridge to take. A transport that fails is logged and its request answered 500, or cut off
 * once its answer has started.
 */
export function serveNodeRequest(
  request: IncomingMessage,
  response: ServerResponse,
  hosts: ReadonlyMap<ServerTransport, TransportHost>,
  logger: Logger,
): boolean {
  for (const [transport, host] of hosts) {
    const answer = transport.serve?.(request, response, host)
    if (answer === undefined) continue
    answer.catch((error: unknown) => {
      logger.error('HTTP transport failed', { error })
      if (response.headersSent) return void response.destroy()
      response.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', connection: 'close' })
      response.end(JSON.stringify({ code: ErrorCode.Internal, message: 'Internal error' }))
    })
    return true
  }
  return false
}
