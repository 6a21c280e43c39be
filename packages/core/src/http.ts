/**
 * Building blocks of the HTTP transports (server-sent events, long-polling), on the fetch API so
 * they run in Node.js and in any runtime with `Request` and `Response`.
 * @module @org/realtime-core/http
 */
export { HttpRefusal, closeCodeOf, formatCloseHeader, parseCloseHeader, withQuery } from './http/client-helpers.js'
export { checkCors } from './http/cors.js'
export { DIRECT_BODY, type DirectTarget } from './http/direct-body.js'
export { HttpClientSession } from './http/http-client-session.js'
export { HttpServerTransport } from './http/http-server-transport.js'
export { HttpSession } from './http/http-session.js'
export { PostQueue, type PostQueueOptions } from './http/post-queue.js'
export { readText } from './http/read-text.js'
export { pathOf } from './http/path-of.js'
export { errorResponse } from './http/responses.js'
