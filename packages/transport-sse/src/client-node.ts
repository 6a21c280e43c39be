/**
 * Server-sent events transport, client half, for Node.js: `EventSource` when one is given or
 * global, else the stream read with fetch.
 * @module @org/realtime-transport-sse/client
 */
import type { ClientTransport } from '@org/realtime-core'
import { createTransport, type SseClientTransportOptions } from './internal/create-client-transport.js'
import { readStream } from './internal/read-stream.js'

export type { EventSourceConstructor, EventSourceLike, SseClientTransportOptions } from './internal/create-client-transport.js'

/**
 * The server-sent events transport for `RealtimeClient`: frames arrive on a `text/event-stream`
 * and go up in POSTs. Works where WebSocket is blocked and plain HTTP gets through.
 *
 * @example
 * new RealtimeClient(url, { transports: [webSocketTransport(), sseTransport()] })
 */
export function sseTransport(options: SseClientTransportOptions = {}): ClientTransport {
  return createTransport(options, readStream)
}
