/**
 * Building blocks of the server half of the HTTP transports (server-sent events, long-polling):
 * they speak an {@link HttpExchange}, served directly on a Node.js `IncomingMessage` and
 * `ServerResponse` (`rt.attach`) or on the fetch API in any runtime with `Request` and `Response`
 * (`rt.handleRequest`). The client half is `@org/realtime-core/http-client`.
 * @module @org/realtime-core/http
 */
export { KEY_HEADER, formatCloseHeader } from './http/client-helpers.js'
export { checkCors } from './http/cors.js'
export type { HttpExchange, HttpStream } from './http/http-exchange.js'
export { HttpServerTransport } from './http/http-server-transport.js'
export { HttpSession, type HttpSessionTiming, type PostLimits } from './http/http-session.js'
export type { HttpTransportOptions } from './http/http-transport-options.js'
export { readText } from './http/read-text.js'
export { pathOf } from './http/path-of.js'
export { errorResponse, replyError } from './http/responses.js'
export { unrefTimer } from './http/timers.js'
