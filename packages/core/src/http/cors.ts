import { ErrorCode } from '../errors.js'
import type { TransportHost } from '../transport.js'
import { errorResponse } from './responses.js'

const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS'
const ALLOWED_HEADERS = 'content-type, last-event-id, x-realtime-key'
const EXPOSED_HEADERS = 'x-realtime-close'

/**
 * Applies the server's origin allow-list to `request`: returns the CORS headers to add to the
 * answer, or a 403 `FORBIDDEN` response when the origin is refused. Answers preflight requests.
 */
export function checkCors(request: Request, host: TransportHost): { headers: Record<string, string> } | Response {
  const origin = request.headers.get('origin')
  const verdict = host.checkOrigin(origin)
  if (verdict === 'refused') return errorResponse(403, ErrorCode.Forbidden, 'This origin is not allowed')
  const headers: Record<string, string> =
    verdict === 'allowed' && origin !== null
      ? {
          'access-control-allow-origin': origin,
          'access-control-allow-credentials': 'true',
          'access-control-expose-headers': EXPOSED_HEADERS,
          vary: 'Origin',
        }
      : {}
  if (request.method !== 'OPTIONS') return { headers }
  return new Response(null, {
    status: 204,
    headers: { ...headers, 'access-control-allow-methods': ALLOWED_METHODS, 'access-control-allow-headers': ALLOWED_HEADERS, 'access-control-max-age': '600' },
  })
}
