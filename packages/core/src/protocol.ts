/**
 * Frame types of protocol version 1, as specified in `docs/protocol.md`.
 * Every frame is one JSON object whose `t` field names its type.
 */

/** The protocol version this package speaks. */
export const PROTOCOL_VERSION = 1

/** Longest event or channel name, in UTF-16 code units. */
export const MAX_NAME_LENGTH = 256

/** Most channels one `sub` or `unsub` frame may name. */
export const MAX_CHANNELS_PER_FRAME = 100

/**
 * How many numbered frames a side receives before it confirms them with a `rcv` frame (see
 * "Sequence numbers" in `docs/protocol.md`). The client counts every numbered frame from the
 * server (and confirms the rest before answering a `ping`); the server counts the numbered client
 * frames without an `id` (an `ack` confirms the others).
 */
export const CONFIRM_EVERY = 32

/** Most messages one `hist` frame may ask for. */
export const MAX_HISTORY_LIMIT = 1000

/**
 * Deepest nesting of arrays and objects a frame may have, the frame itself counting as one level.
 * `JSON.parse` accepts far deeper text, but encoding such a value again overflows the stack, so a
 * deeper frame is refused as `BAD_FRAME` before anything keeps or relays it.
 */
export const MAX_NESTING_DEPTH = 64

/** An error as carried inside `ack` and `error` frames. */
export interface ErrorPayload {
  /** A code from `ErrorCode`, or an application code thrown by a handler. */
  code: string
  /** A human-readable explanation; never a stack trace. */
  message: string
  /** For `RATE_LIMITED`: milliseconds to wait before sending again. */
  retryAfterMs?: number
}

/** Client → server: the first frame of every connection. */
export interface HelloFrame {
  t: 'hello'
  /** Protocol version the client speaks. */
  v: number
  /** Application credentials, handed to the server's `authenticate` hook. */
  auth?: unknown
  /**
   * True when the client can resume sessions: it numbers its `event` and `pub` frames and confirms
   * numbered frames with `rcv`. Implied by `resume`.
   */
  recoverable?: boolean
  /** Present when the client asks to resume the session it had before the connection dropped. */
  resume?: ResumeRequest
}

/** What a client tells the server to resume its session. */
export interface ResumeRequest {
  /** The `token` of the last `welcome` the client received. */
  token: string
  /** The last session sequence number (`s`) the client received from the server. */
  s: number
  /** The last offset (`o`) the client received on each channel, by channel name. */
  ch?: Record<string, number>
}

/** Where a channel's history stands: its epoch and an offset in it. */
export interface ChannelPosition {
  /** Identifies one history of the channel; a new epoch means the offsets started over. */
  epoch: string
  /** Offset of a message in the channel (0 before the first). */
  offset: number
}

/** Server → client: the handshake succeeded. */
export interface WelcomeFrame {
  t: 'welcome'
  /** Protocol version the server speaks. */
  v: number
  /** Session id of this connection. */
  sid: string
  /** Milliseconds between the server's pings. */
  pingInterval: number
  /** Milliseconds the server waits for any frame after a ping before it drops the connection. */
  pingTimeout: number
  /** Largest frame the server accepts, in bytes of UTF-8. */
  maxPayload: number
  /** When the session's credentials expire (ms since the epoch), if they do: renew with an `auth` frame before. */
  expiresAt?: number
  /** Secret that resumes this session after a drop; present when the server keeps sessions. */
  token?: string
  /** Present and true when the session named in `hello.resume` was resumed. */
  resumed?: boolean
  /** With `resumed`: the last sequence number (`s`) the server received from the client. */
  s?: number
  /** With `resumed`: channels whose missed messages could not all be replayed. */
  lost?: string[]
  /** Why the session named in `hello.resume` could not be resumed (a fresh session was opened). */
  err?: ErrorPayload
}

/**
 * Client → server: fresh credentials for the open connection, before the old ones expire.
 * Answered by an `ack` whose `d` is `{ expiresAt? }`, or whose `err` is `UNAUTHORIZED`.
 */
export interface AuthFrame {
  t: 'auth'
  id: number
  auth?: unknown
}

/** Server → client heartbeat. */
export interface PingFrame {
  t: 'ping'
}

/** Client → server answer to a ping. */
export interface PongFrame {
  t: 'pong'
}

/** Both directions: an application event. */
export interface EventFrame {
  t: 'event'
  /** Event name. */
  e: string
  /** Event data; absent when the event has none. */
  d?: unknown
  /** Present when the sender waits for an `ack` with this id. */
  id?: number
  /** Server → client only: the channel (room) the event was broadcast to. */
  ch?: string
  /** Server → client only: the offset of the event in its channel, when the server keeps history. */
  o?: number
  /** Session sequence number, when the sender can resend the frame after a reconnect. */
  s?: number
}

/**
 * Server → client: an event broadcast to a channel, in the compact form servers send it in,
 * `[channel, offset, event]` or `[channel, offset, event, data]`. It means the same as an
 * {@link EventFrame} with `ch`, `e`, `d` when present, and `o` unless `offset` is 0 (the server
 * keeps no history; offsets count from 1). An array, because channel messages are most of the
 * traffic: it carries about 30 bytes less than the object and parses faster.
 */
export type ChannelEventFrame = [channel: string, offset: number, event: string, data?: unknown]

/** Client → server: publish an event to the other subscribers of a channel. */
export interface PublishFrame {
  t: 'pub'
  ch: string
  e: string
  d?: unknown
  /** Present when the client waits for an `ack` confirming the publish. */
  id?: number
  /** Session sequence number, as on {@link EventFrame}. */
  s?: number
}

/** Both directions: the answer to a frame that carried an `id`. */
export interface AckFrame {
  t: 'ack'
  id: number
  /** The handler's result, when it succeeded. */
  d?: unknown
  /** The failure, when it did not. */
  err?: ErrorPayload
  /** Server → client: session sequence number, when it answers a frame that carried one. */
  s?: number
}

/** Both directions: every frame with a session sequence number up to `s` arrived. */
export interface ReceivedFrame {
  t: 'rcv'
  s: number
}

/**
 * Client → server: read a channel's history. Answered by an `ack` whose `d` is a
 * {@link HistoryPage}.
 */
export interface HistoryFrame {
  t: 'hist'
  id: number
  ch: string
  /** Only messages after this offset; from the oldest kept when absent. */
  since?: number
  /** Most messages to return, 1 to {@link MAX_HISTORY_LIMIT}; 100 when absent. */
  limit?: number
}

/** One message of a channel's history. */
export interface HistoryMessage {
  /** Its offset in the channel. */
  offset: number
  /** The event name it was broadcast with. */
  event: string
  /** The event data; absent (`undefined`) when it had none. */
  data?: unknown
}

/**
 * The answer to a `hist` frame, and what `channel.history()` resolves with. `offset` is the
 * channel's last offset, in `epoch`: offsets of another epoch select nothing meaningful.
 */
export interface HistoryPage extends ChannelPosition {
  /** False when messages after `since` are no longer kept: `messages` starts later than asked. */
  complete: boolean
  /** The messages, oldest first. */
  messages: HistoryMessage[]
}

/** Client → server: subscribe to channels. Answered by an `ack` whose `d` is a {@link SubscribeResult} array. */
export interface SubscribeFrame {
  t: 'sub'
  id: number
  ch: string[]
  /** Where the client left channels of `ch`, by name: the server replays what came after. */
  since?: Record<string, ChannelPosition>
}

/** Client → server: unsubscribe from channels. */
export interface UnsubscribeFrame {
  t: 'unsub'
  id?: number
  ch: string[]
}

/** Server → client: an error not tied to a request with an id. */
export interface ErrorFrame {
  t: 'error'
  code: string
  message: string
  /** For `RATE_LIMITED`: milliseconds to wait before sending again. */
  retryAfterMs?: number
}

/** One entry of the `d` array in the `ack` answering a `sub` frame. */
export interface SubscribeResult {
  ch: string
  /** Present when the subscription was refused. */
  err?: ErrorPayload
  /** The channel's history epoch, when the server keeps history. */
  epoch?: string
  /** With `epoch`: the offset the client's stream of this channel continues from. */
  offset?: number
  /** With `since`: whether every message after it was replayed. */
  recovered?: boolean
  /** With `recovered: false`, when `since` was invalid (`INVALID_OFFSET`). */
  reason?: ErrorPayload
}

/** Every frame a client may send. */
export type ClientFrame =
  | HelloFrame
  | AuthFrame
  | PongFrame
  | EventFrame
  | PublishFrame
  | AckFrame
  | SubscribeFrame
  | UnsubscribeFrame
  | ReceivedFrame
  | HistoryFrame

/** Every frame a server may send. */
export type ServerFrame = WelcomeFrame | PingFrame | EventFrame | AckFrame | ErrorFrame | ReceivedFrame

/** Any frame of the protocol. */
export type Frame = ClientFrame | ServerFrame
