import type { EventAnswer, EventData, ListenerResult, RealtimeError, TransportName } from '@org/realtime-core'

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

/**
 * Why an attempt to connect failed, as reported by the `connect_error` event:
 * - `http-status`: the server answered the request that opens the transport with an HTTP error
 *   status, in `status` (404: nothing serves the URL's path; the HTTP transports and the
 *   WebSocket transport of Node.js know the status, browsers hide it from WebSocket and
 *   EventSource);
 * - `unreachable`: no connection: refused, no route, DNS, a reset, the browser offline (browsers
 *   report every failed WebSocket or EventSource this way, whatever the cause);
 * - `timeout`: the server's welcome did not arrive within `connectTimeoutMs`;
 * - `closed`: the transport opened, then closed with `code` before the welcome (a refused
 *   handshake, for one: the `error` event then has its code).
 */
export type ConnectFailure = 'http-status' | 'unreachable' | 'timeout' | 'closed'

/** Payload of the `connect_error` event. */
export interface ConnectErrorEvent {
  /** The transport that was tried. */
  transport: TransportName
  /** Why it failed. */
  cause: ConnectFailure
  /** The HTTP status the server refused the transport with, when known. */
  status: number | undefined
  /** The close code the transport reported; see `docs/errors.md`. */
  code: number
  /** What the transport said, for humans: `connect ECONNREFUSED 127.0.0.1:3000`, `the server answered HTTP 404`… */
  message: string
  /** Whether another attempt follows: the next transport at once, or a reconnection after the backoff delay. */
  willRetry: boolean
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

/** Lifecycle events of {@link RealtimeClient}, heard on `client.lifecycle`, and their listeners. */
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
  /**
   * An attempt to connect failed before the server's welcome, with a transport (each transport
   * tried reports its own). When the server answers HTTP 400 to 499 (but 408 and 429: a 404 for a
   * wrong path, say) to every transport, the client stops trying and emits `error` with
   * `TRANSPORT_ERROR`, as it does when it gives up for any other reason.
   */
  connect_error: (event: ConnectErrorEvent) => void
  /** A reconnection succeeded (emitted before `connect`). */
  reconnect: (event: ReconnectEvent) => void
  /**
   * Something failed that no promise and no channel reports: a refused handshake or credentials,
   * a refused `emit` or `publish` (those without an acknowledgement), emits dropped from the
   * offline queue or lost with a session, giving up connecting or reconnecting, a listener that
   * threw (`LISTENER_ERROR`, with the exception as `cause`).
   */
  error: (error: RealtimeError) => void
}

/**
 * Listeners of lifecycle events, apart from the app's events: `client.lifecycle` and
 * `channel.lifecycle`. `Events` maps each event name to its listener.
 */
export interface Lifecycle<Events> {
  /** Calls `listener` on every `event`. */
  on<E extends keyof Events & string>(event: E, listener: Events[E]): this
  /** Calls `listener` on the next `event` only. */
  once<E extends keyof Events & string>(event: E, listener: Events[E]): this
  /** Removes `listener` of `event` (added with `on` or `once`), or all of them when `listener` is omitted. */
  off<E extends keyof Events & string>(event: E, listener?: Events[E]): this
}

/**
 * A listener of untyped events: any data, declared as the type the app expects. Its return value
 * (or the promise's) answers the server's `emitWithAck`.
 */
export type Listener = { listener(data: unknown): unknown }['listener']


/**
 * The listener of event `E` of the map `Events`: it receives the event's data and returns the
 * answer to the server's `emitWithAck`. {@link Listener} for untyped events.
 */
export type EventListener<Events, E extends keyof Events> =
  unknown extends EventData<Events, E> ? Listener : (data: EventData<Events, E>) => ListenerResult<EventAnswer<Events, E>>

/** Options of `emitWithAck` and `publishWithAck`. */
export interface AckOptions {
  /**
   * Milliseconds to wait for the answer before rejecting with `TIMEOUT`.
   * @default the client's `ackTimeoutMs` (10000)
   */
  timeoutMs?: number
}

/** The arguments after the event name of an `emitWithAck` of event `E`: its data (optional when it may be undefined), then options. */
export type AckArgs<Events, E extends keyof Events> =
  undefined extends EventData<Events, E> ? [data?: EventData<Events, E>, options?: AckOptions] : [data: EventData<Events, E>, options?: AckOptions]
