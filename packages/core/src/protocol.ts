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
 * Event names a server may not emit to clients, because the client reports its own
 * lifecycle under them.
 */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set(['connect', 'disconnect', 'reconnecting', 'reconnect', 'error'])

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
}

/** Client → server: publish an event to the other subscribers of a channel. */
export interface PublishFrame {
  t: 'pub'
  ch: string
  e: string
  d?: unknown
  /** Present when the client waits for an `ack` confirming the publish. */
  id?: number
}

/** Both directions: the answer to a frame that carried an `id`. */
export interface AckFrame {
  t: 'ack'
  id: number
  /** The handler's result, when it succeeded. */
  d?: unknown
  /** The failure, when it did not. */
  err?: ErrorPayload
}

/** Client → server: subscribe to channels. Answered by an `ack` whose `d` is a {@link SubscribeResult} array. */
export interface SubscribeFrame {
  t: 'sub'
  id: number
  ch: string[]
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
}

/** Every frame a client may send. */
export type ClientFrame = HelloFrame | AuthFrame | PongFrame | EventFrame | PublishFrame | AckFrame | SubscribeFrame | UnsubscribeFrame

/** Every frame a server may send. */
export type ServerFrame = WelcomeFrame | PingFrame | EventFrame | AckFrame | ErrorFrame

/** Any frame of the protocol. */
export type Frame = ClientFrame | ServerFrame
