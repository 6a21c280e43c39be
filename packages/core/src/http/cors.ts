import { ErrorCode } from '../errors.js'
import type { TransportHost } from '../transport.js'
import type { HttpExchange } from './http-exchange.js'
import { replyError } from './responses.js'

const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS'
const ALLOWED_HEADERS = 'content-type, last-event-id, x-realtime-key'
const EXPOSED_HEADERS = 'x-realtime-close'
/** No allow-list, or no `Origin`: no CORS headers (shared, never changed). */
const NONE: Record<string, string> = Object.freeze({}) as Record<string, string>

/**
 * Applies the server's origin allow-list to `exchange`: returns the CORS headers to add to the
 * answer, or undefined once it has answered itself: 403 `FORBIDDEN` for a refused origin, 204 for
 * a preflight request.
 */
export function checkCors(exchange: HttpExchange, host: TransportHost): Record<string, string> | undefined {
  const origin = exchange.header('origin')
  const verdict = host.checkOrigin(origin)
  if (verdict === 'refused') {
    replyError(exchange, 403, ErrorCode.Forbidden, 'This origin is not allowed')
    return undefined
  }
  const headers: Record<string, string> =
    verdict === 'allowed' && origin !== null
      ? {
          'access-control-allow-origin': origin,
          'access-control-allow-credentials': 'true',
          'access-control-expose-headers': EXPOSED_HEADERS,
          vary: 'Origin',
        }
      : NONE
  if (exchange.method !== 'OPTIONS') return headers
  exchange.reply(204, { ...headers, 'access-control-allow-methods': ALLOWED_METHODS, 'access-control-allow-headers': ALLOWED_HEADERS, 'access-control-max-age': '600' })
  return undefined
}
