/**
 * The client half of the HTTP transports (server-sent events, long-polling), on the fetch API.
 * Apart from `@org/realtime-core/http` so that it imports nothing a browser client's entry loads:
 * bundlers then put it in the transports' lazily loaded chunk, whole.
 * @module @org/realtime-core/http-client
 */
export { ABNORMAL_CLOSE, HttpRefusal, KEY_HEADER, NORMAL_CLOSE, closeCodeOf, parseCloseHeader, withQuery } from './http/client-helpers.js'
export { HttpClientSession } from './http/http-client-session.js'
export { PostQueue, type PostQueueOptions } from './http/post-queue.js'
