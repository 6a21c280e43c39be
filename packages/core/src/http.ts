/**
 * Building blocks of the server half of the HTTP transports (server-sent events, long-polling), on
 * the fetch API so they run in Node.js and in any runtime with `Request` and `Response`. The client
 * half is `@org/realtime-core/http-client`.
 * @module @org/realtime-core/http
 */
export { formatCloseHeader } from './http/client-helpers.js'
export { checkCors } from './http/cors.js'
export { DIRECT_BODY, type DirectTarget } from './http/direct-body.js'
export { HttpServerTransport } from './http/http-server-transport.js'
export { HttpSession } from './http/http-session.js'
export { readText } from './http/read-text.js'
export { pathOf } from './http/path-of.js'
export { errorResponse } from './http/responses.js'
