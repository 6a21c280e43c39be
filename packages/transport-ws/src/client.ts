/**
 * WebSocket transport, client half, on the platform `WebSocket`.
 * @module @org/realtime-transport-ws/client
 */
import type { ClientTransport } from '@org/realtime-core'
import {
  createTransport,
  type WebSocketClientTransportOptions,
  type WebSocketConstructor,
} from './internal/create-client-transport.js'

export type { WebSocketClientTransportOptions, WebSocketConstructor, WebSocketLike } from './internal/create-client-transport.js'

/**
 * The WebSocket transport for `RealtimeClient`, on the platform's `WebSocket`.
 *
 * @example
 * new RealtimeClient(url, { transports: [webSocketTransport()] })
 */
export function webSocketTransport(options: WebSocketClientTransportOptions = {}): ClientTransport {
  return createTransport(options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket)
}
