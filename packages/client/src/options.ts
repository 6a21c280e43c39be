import type { BackoffOptions, ClientTransport } from '@org/realtime-core'
import type { BuiltInTransportName } from './internal/load-transport.js'

/** Reconnection settings of {@link RealtimeClientOptions}. */
export interface ReconnectionOptions extends BackoffOptions {
  /**
   * Attempts before giving up; the client then emits the lifecycle `error` with `TRANSPORT_ERROR`.
   * @default Infinity
   */
  maxAttempts?: number
}

/** Settings of the queue that holds emits made while disconnected. */
export interface OfflineQueueOptions {
  /**
   * Most frames held while disconnected.
   * @default 100
   */
  maxSize?: number
  /**
   * What happens to a frame that does not fit: `'reject'` refuses the new one (`emit` throws
   * `QUEUE_FULL`, `emitWithAck` rejects), `'drop-oldest'` discards the oldest (its ack rejects
   * with `QUEUE_FULL`, or the client emits the lifecycle `error` for a plain emit).
   * @default 'reject'
   */
  overflow?: 'reject' | 'drop-oldest'
}

/** Options of {@link RealtimeClient}. */
export interface RealtimeClientOptions {
  /**
   * Transports to try, in order: the client falls back to the next when one cannot open (refused,
   * blocked, or not open within `connectTimeoutMs`), and reconnects with the last one that worked.
   * Pass the transports themselves (`webSocketTransport()` from
   * `@org/realtime-transport-ws/client`, …) to set their options and keep unused ones out of the
   * bundle, or their names: `'sse'` and `'polling'` are then loaded on first use.
   * @default [webSocketTransport()]
   */
  transports?: Array<ClientTransport | BuiltInTransportName>
  /**
   * Credentials sent in the handshake, or a function called on every (re)connect that returns
   * them, so an expired token can be replaced.
   * @default undefined
   */
  auth?: unknown
  /**
   * Reconnection backoff, or `false` to never reconnect.
   * @default { initialDelayMs: 1000, maxDelayMs: 5000, jitter: 0.5, multiplier: 2, maxAttempts: Infinity }
   */
  reconnection?: ReconnectionOptions | false
  /**
   * Connect in the constructor; otherwise call `connect()`.
   * @default true
   */
  autoConnect?: boolean
  /**
   * Milliseconds a connection attempt may take, from opening the transport to the server's welcome.
   * @default 10000
   */
  connectTimeoutMs?: number
  /**
   * Default timeout of `emitWithAck`, `publishWithAck` and `subscribe`, in milliseconds.
   * @default 10000
   */
  ackTimeoutMs?: number
  /**
   * The queue of emits made while disconnected.
   * @default { maxSize: 100, overflow: 'reject' }
   */
  offlineQueue?: OfflineQueueOptions
}
