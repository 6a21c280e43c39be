import type { ClientTransport } from '@org/realtime-core'
import WebSocket from 'ws'
import { createTransport, type DescribeFailure, type WebSocketClientTransportOptions } from './internal/create-client-transport.js'

export type { WebSocketClientTransportOptions, WebSocketConstructor, WebSocketLike } from './internal/create-client-transport.js'

/**
 * The WebSocket transport for `RealtimeClient` in Node.js, on the `ws` package.
 *
 * @example
 * new RealtimeClient(url, { transports: [webSocketTransport()] })
 */
export function webSocketTransport(options: WebSocketClientTransportOptions = {}): ClientTransport {
  return createTransport(options.WebSocket ?? (WebSocket as unknown as WebSocketClientTransportOptions['WebSocket']), describeFailure)
}

/** `ws` says why a connection failed: `connect ECONNREFUSED 127.0.0.1:3000`, `Unexpected server response: 404`. */
const describeFailure: DescribeFailure = ({ message = '' }) => ({ reason: message, status: Number(/response: (\d{3})$/.exec(message)?.[1]) || undefined })
