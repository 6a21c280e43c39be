/**
 * The realtime server.
 * @module @org/realtime-server
 */
export { memoryAdapter, type Adapter, type AdapterNode, type BroadcastOptions, type BroadcastPacket, type SessionSnapshot } from './adapter.js'
export { BroadcastOperator } from './broadcast.js'
export { Connection, type EmitWithAckOptions } from './connection.js'
export {
  MemoryHistory,
  type HistoryEntry,
  type HistoryOptions,
  type HistoryReadLimits,
  type HistoryReader,
  type HistorySlice,
  type HistoryStore,
  type Published,
} from './history.js'
export type { Authorize, ConnectionMiddleware, EventMiddleware, IncomingEvent } from './hooks.js'
export type { RealtimeServerOptions, RecoveryOptions } from './options.js'
export type { RealtimePlugin } from './plugin.js'
export type { RateLimitOptions } from './rate-limit.js'
export { RoomMembers, type RoomMember } from './room-members.js'
export { RealtimeServer, type AttachOptions, type ListenOptions } from './server.js'
export type { RealtimeServerEvents } from './server-events.js'
export type { PluginServer } from './plugin-server.js'
export { TypedEmitter, type ListenerMap } from './typed-emitter.js'
export type { AckArgs, ChannelAction, DisconnectInfo, EventHandler, Handshake, JoinReason, LeaveReason, TypedEventHandler } from './types.js'
export {
  CloseCode,
  ErrorCode,
  RealtimeError,
  channelKey,
  isRealtimeError,
  parseChannelKey,
  type ChannelOptions,
  type DefaultEvents,
  type EventAnswer,
  type EventArgs,
  type EventData,
  type EventMap,
  type EventName,
  type ForwardedAnswer,
  type ForwardedRequest,
  type Logger,
} from '@org/realtime-core'
