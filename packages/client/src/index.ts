/**
 * The realtime client, for browsers and Node.js.
 * @module @org/realtime-client
 */
export type {
  Channel,
  ChannelEventListener,
  ChannelHistory,
  ChannelLifecycleEvents,
  ChannelListener,
  ChannelState,
  ChannelWildcardListener,
  FeatureContext,
  HistoryOptions,
  MessageContext,
  SubscribedEvent,
  UnsubscribedEvent,
} from './channel.js'
export { RealtimeClient } from './client.js'
export type {
  AckArgs,
  AckOptions,
  ClientLifecycleEvents,
  ClientState,
  ConnectErrorEvent,
  ConnectFailure,
  DisconnectEvent,
  DisconnectReason,
  EventListener,
  Lifecycle,
  Listener,
  ReconnectEvent,
  ReconnectingEvent,
} from './events.js'
export type { BuiltInTransportName } from './internal/load-transport.js'
export type { OfflineQueueOptions, RealtimeClientOptions, ReconnectionOptions } from './options.js'
export {
  CloseCode,
  ErrorCode,
  RealtimeError,
  isRealtimeError,
  type ChannelOptions,
  type DefaultEvents,
  type EventAnswer,
  type EventArgs,
  type EventData,
  type EventMap,
  type EventName,
  type HistoryMessage,
  type JsonValue,
} from '@org/realtime-core'
