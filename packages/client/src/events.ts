import type { RealtimeError } from '@org/realtime-core'

/** Where the client stands. */
export type ClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected'

/**
 * Why the connection ended, as reported by the `disconnect` event: `client` (`disconnect()`),
 * `server` (the server closed it on purpose), `server-shutdown` (the server is restarting),
 * `refused` (a close code the client does not retry), `heartbeat-timeout` (the server went
 * silent) or `transport-close` (the network or the peer dropped it).
 */
export type DisconnectReason = 'client' | 'server' | 'server-shutdown' | 'refused' | 'heartbeat-timeout' | 'transport-close'

/** Payload of the `disconnect` event. */
export interface DisconnectEvent {
  reason: DisconnectReason
  /** The close code; see `docs/errors.md`. */
  code: number
  /** Whether the client will try to reconnect. */
  willReconnect: boolean
}

/** Payload of the `reconnecting` event. */
export interface ReconnectingEvent {
  /** Attempt number, from 1. */
  attempt: number
  /** Milliseconds until the attempt. */
  delayMs: number
}

/** Payload of the `reconnect` event. */
export interface ReconnectEvent {
  /** Attempts it took. */
  attempts: number
  /**
   * Whether the server resumed the session with nothing lost: same id, its rooms, the frames sent
   * to it while away, and every message of its rooms replayed (each channel's `subscribed` event
   * says the same per channel). False when the session was gone (outside the server's recovery
   * window, or the server restarted) or some room's missed messages were no longer kept: reload
   * the app's state.
   */
  recovered: boolean
}

/** Lifecycle events of {@link RealtimeClient} and their listeners. */
export interface ClientLifecycleEvents {
  /**
   * The handshake succeeded, first time or after a reconnect. Emits made by its listeners go out
   * before the emits queued while offline, so they can restore state the queued ones rely on.
   */
  connect: () => void
  /** The connection ended. */
  disconnect: (event: DisconnectEvent) => void
  /** A reconnection attempt is scheduled. */
  reconnecting: (event: ReconnectingEvent) => void
  /** A reconnection succeeded (emitted before `connect`). */
  reconnect: (event: ReconnectEvent) => void
  /** Something failed that no promise reports: a refused handshake, a refused publish, giving up. */
  error: (error: RealtimeError) => void
}
