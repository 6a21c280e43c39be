/**
 * The realtime client, for browsers and Node.js.
 * @module @org/realtime-client
 */
export { Channel, type ChannelHistory, type ChannelState, type HistoryOptions, type SubscribedEvent } from './channel.js'
export { RealtimeClient } from './client.js'
export type { ClientLifecycleEvents, ClientState, DisconnectEvent, DisconnectReason, ReconnectEvent, ReconnectingEvent } from './events.js'
export type { Listener } from './internal/listeners.js'
export type { BuiltInTransportName } from './internal/load-transport.js'
export type { OfflineQueueOptions, RealtimeClientOptions, ReconnectionOptions } from './options.js'
export { CloseCode, ErrorCode, RealtimeError, isRealtimeError, type HistoryMessage } from '@org/realtime-core'
