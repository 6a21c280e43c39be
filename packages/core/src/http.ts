/**
 * Building blocks of the server half of the HTTP transports (server-sent events, long-polling), on
 * the fetch API so they run in Node.js and in any runtime with `Request` and `Response`. The client
 * half is `@org/realtime-core/http-client`.
 * @module @org/realtime-core/http
 */
export { KEY_HEADER, formatCloseHeader } from './http/client-helpers.js'
export { checkCors } from './http/cors.js'
export { DIRECT_BODY, type DirectTarget } from './http/direct-body.js'
export { HttpServerTransport } from './http/http-server-transport.js'
export { HttpSession, type HttpSessionTiming, type PostLimits } from './http/http-session.js'
export type { HttpTransportOptions } from './http/http-transport-options.js'
export { readText } from './http/read-text.js'
export { pathOf } from './http/path-of.js'
export { errorResponse } from './http/responses.js'
export { unrefTimer } from './http/timers.js'
