/**
 * The realtime client, for browsers and Node.js.
 * @module @org/realtime-client
 */
export { Channel, type ChannelState } from './channel.js'
export {
  RealtimeClient,
  type ClientLifecycleEvents,
  type ClientState,
  type DisconnectEvent,
  type DisconnectReason,
  type ReconnectEvent,
  type ReconnectingEvent,
} from './client.js'
export type { Listener } from './internal/listeners.js'
export type { BuiltInTransportName } from './internal/load-transport.js'
export type { OfflineQueueOptions, RealtimeClientOptions, ReconnectionOptions } from './options.js'
export { CloseCode, ErrorCode, RealtimeError, isRealtimeError } from '@org/realtime-core'
