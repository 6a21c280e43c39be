/**
 * Protocol, errors, backoff and transport interfaces shared by every @org/realtime package.
 * @module @org/realtime-core
 */
export { backoffDelay, type BackoffOptions } from './backoff.js'
export {
  channelEventText,
  decodeClientFrame,
  decodeServerFrame,
  encodeChannelEvent,
  encodeData,
  encodeFrame,
  eventFrameText,
  isValidName,
  utf8Length,
} from './codec.js'
export {
  CHANNEL_OPTIONS_SEPARATOR,
  MAX_CHANNEL_KEY_LENGTH,
  MAX_CHANNEL_OPTIONS_DEPTH,
  MAX_CHANNEL_OPTIONS_KEYS,
  MAX_CHANNEL_OPTIONS_LENGTH,
  canonicalJson,
  channelKey,
  isValidChannel,
  parseChannelKey,
  type ChannelOptions,
  type JsonValue,
  type ParsedChannelKey,
} from './channel-key.js'
export {
  CloseCode,
  ErrorCode,
  RealtimeError,
  closeCodeForRefusal,
  errorCodeForClose,
  isErrorCode,
  isFinalCloseCode,
  isRealtimeError,
} from './errors.js'
export type { DefaultEvents, EventAnswer, EventArgs, EventData, EventMap, EventName, ListenerResult } from './event-map.js'
export { PendingAcks } from './pending-acks.js'
export { ReceivedFrames, SentFrames, type NumberedFrame } from './reliable-stream.js'
export { TokenBucket } from './token-bucket.js'
export { silentLogger, type Logger } from './logger.js'
export {
  CONFIRM_EVERY,
  MAX_CHANNELS_PER_FRAME,
  MAX_HISTORY_LIMIT,
  MAX_NAME_LENGTH,
  MAX_NESTING_DEPTH,
  PROTOCOL_VERSION,
  type AckFrame,
  type AuthFrame,
  type ChannelEventFrame,
  type ChannelPosition,
  type ClientFrame,
  type ErrorFrame,
  type ErrorPayload,
  type EventFrame,
  type Frame,
  type HelloFrame,
  type HistoryFrame,
  type HistoryMessage,
  type HistoryPage,
  type PingFrame,
  type PongFrame,
  type PublishFrame,
  type ReceivedFrame,
  type ResumeRequest,
  type ServerFrame,
  type SubscribeFrame,
  type SubscribeResult,
  type UnsubscribeFrame,
  type WelcomeFrame,
} from './protocol.js'
export type {
  ClientSocket,
  ClientSocketListener,
  ClientTransport,
  ForwardedAnswer,
  ForwardedRequest,
  HttpServerLike,
  NodeRequestLike,
  NodeResponseLike,
  RequestInfo,
  ServerSocket,
  ServerSocketListener,
  ServerTransport,
  TransportHost,
  TransportName,
  TransportRequest,
} from './transport.js'
