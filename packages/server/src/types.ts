/**
 * Types shared by the connection, the server and the plugins, which import nothing of theirs: a
 * leaf, so that no module of the server imports another that imports it back.
 */
import type { EventAnswer, EventData, ListenerResult, TransportName } from '@org/realtime-core'

/** What `authenticate` and connection middleware know about a connecting client. */
export interface Handshake {
  /** The client's `auth` option, as sent in its `hello` frame; undefined for a `hello` in the URL. */
  auth: unknown
  /** Headers of the request that opened the connection, with lower-case names. */
  headers: Record<string, string | string[] | undefined>
  /** IP address of the client: the peer that connected to this process (a proxy, behind one), or the address a proxy trusted through `trustProxy` forwarded in `X-Forwarded-For`. */
  remoteAddress: string
  /**
   * Path and query of the request that opened the connection; the bundled client adds `hello=1`
   * when it says its `hello` there (docs/protocol.md, "Hello in the URL").
   */
  url: string
  /** The transport the client connected with. */
  transport: TransportName
}

/** What a client asks to do with a channel. */
export type ChannelAction = 'subscribe' | 'publish'

/** Why a connection ended. */
export interface DisconnectInfo {
  /** The close code, e.g. 1000 for a deliberate close, 1006 for a lost connection. */
  code: number
  /** Human-readable reason, possibly empty. */
  reason: string
}

/**
 * Handles one event from a client. What it returns (or resolves to) is the acknowledgement the
 * client awaits in `emitWithAck`; what it throws is sent as the acknowledgement's error — the code
 * and message of a `RealtimeError`, or `HANDLER_ERROR` with no detail for anything else.
 */
export type EventHandler = (data: any) => unknown


/**
 * The handler of event `E` of the event map `Events` (what clients send, see `EventMap`): it
 * receives the event's data and returns the answer to the client's `emitWithAck`. An
 * {@link EventHandler} for untyped events.
 */
export type TypedEventHandler<Events, E extends keyof Events> =
  unknown extends EventData<Events, E> ? EventHandler : (data: EventData<Events, E>) => ListenerResult<EventAnswer<Events, E>>

/** The arguments of `emitWithAck` after the event name: the data (optional when it may be undefined), then the options. */
export type AckArgs<Events, E extends keyof Events> =
  undefined extends EventData<Events, E>
    ? [data?: EventData<Events, E>, options?: { timeoutMs?: number }]
    : [data: EventData<Events, E>, options?: { timeoutMs?: number }]

/**
 * Why a connection joined a room: the server's `conn.join()`, the client's `subscribe()`, or its
 * session moving here from another node of the cluster, in its rooms (see `Connection.movedIn`).
 */
export type JoinReason = 'join' | 'subscribe' | 'moved'

/**
 * Why a connection left a room: the server's `conn.leave()`, the client's `unsubscribe()`, the
 * end of its session (not a dropped transport: a session waiting to be resumed stays in its
 * rooms), or its session moving to another node of the cluster, where it is still in the room.
 */
export type LeaveReason = 'leave' | 'unsubscribe' | 'disconnect' | 'moved'
