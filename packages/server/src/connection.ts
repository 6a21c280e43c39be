import {
  ErrorCode,
  PendingAcks,
  RealtimeError,
  type DefaultEvents,
  type EventAnswer,
  type EventArgs,
  type EventMap,
  type EventName,
  type TransportName,
} from '@org/realtime-core'
import { broadcastOperator, type BroadcastOperator } from './broadcast.js'
import { flatDelete, flatSet } from './internal/flat-map.js'
import type { ConnectionCore } from './internal/connection-core.js'
import type { AckArgs, DisconnectInfo, EventHandler, Handshake, TypedEventHandler } from './types.js'

/** Options of {@link Connection.emitWithAck}. */
export interface EmitWithAckOptions {
  /**
   * Milliseconds to wait for the client's acknowledgement.
   * @default the server's `ackTimeoutMs` (10000)
   */
  timeoutMs?: number
}

type Core<TData> = ConnectionCore<Connection<TData, any, any>>

let coreOfConnection: <TData>(conn: Connection<TData>) => Core<TData>
let makeConnection: <TData>(id: string, data: TData | undefined, core: Core<TData>) => Connection<TData>

/**
 * One client connection on the server, handed out by the `connection` event. Its state lives in
 * an internal object the server's modules work on; this is its public face. `TData` types its
 * `data`; `ListenEvents` the events its client sends and `EmitEvents` those sent to it (see
 * `EventMap`; both untyped by default), as the server's type parameters say.
 */
export class Connection<
  TData = Record<string, any>,
  ListenEvents extends EventMap<ListenEvents> = DefaultEvents,
  EmitEvents extends EventMap<EmitEvents> = DefaultEvents,
> {
  /** Session id, unique on this server; also accepted by `except`. */
  readonly id: string
  /** What `authenticate` returned; undefined until an empty object is made on first read. */
  #data: TData | undefined
  readonly #core: Core<TData>

  static {
    coreOfConnection = (conn) => conn.#core
    makeConnection = (id, data, core) => new Connection(id, data, core)
  }

  private constructor(id: string, data: TData | undefined, core: Core<TData>) {
    this.id = id
    this.#data = data
    this.#core = core
    core.conn = this
  }

  /**
   * Application data of this connection: what `authenticate` returned, or an empty object when it
   * returned nothing (or there is no `authenticate`).
   */
  get data(): TData {
    // Made on first read: many connections never need one.
    return (this.#data ??= {} as TData)
  }

  set data(data: TData) {
    this.#data = data
  }

  /**
   * Whether this session moved here from another node of the cluster, where it began: its client
   * resumed it here, with its `data` and rooms, and `connection` fired for it on this node so
   * that the app sets up its handlers again. False for a connection that began here. Only with an
   * adapter that moves sessions (`Adapter.takeSession`).
   */
  get movedIn(): boolean {
    return this.#core.movedIn
  }

  /** What the client presented when it connected (or last resumed the session). */
  get handshake(): Handshake {
    return this.#core.handshake
  }

  /** The transport this connection uses. */
  get transport(): TransportName {
    return this.#core.handshake.transport
  }

  /** Whether the connection is open; false while its session waits for the client to resume it, and once it ended. */
  get connected(): boolean {
    return this.#core.state === 'open'
  }

  /** Whether the session can be resumed by its client after a drop (the server's `recovery` is on and the client supports it). */
  get resumable(): boolean {
    return this.#core.resumable
  }

  /**
   * When the connection's credentials expire, in milliseconds since the epoch, by the server's
   * `expiresAt` option (updated when the client renews them); undefined when they do not.
   */
  get expiresAt(): number | undefined {
    return this.#core.expiresAt
  }

  /** Rooms (channels) this connection is in. */
  get rooms(): ReadonlySet<string> {
    return this.#core.rooms
  }

  /**
   * Adds this connection to `room`. A detached session joins too: it receives what the room got
   * meanwhile once its client resumes it.
   */
  join(room: string): void {
    this.#core.join(room, 'join')
  }

  /** Removes this connection from `room`. */
  leave(room: string): void {
    this.#core.leave(room, 'leave')
  }

  /** Targets `room` for a broadcast that leaves this connection out. */
  to(room: string | readonly string[]): BroadcastOperator<EmitEvents> {
    const host = this.#core.host
    return broadcastOperator<EmitEvents>((packet) => host.broadcast(packet), [this.id]).to(room)
  }

  /**
   * Handles `event` sent by the client with `handler`, replacing any earlier handler of that event.
   * `'disconnect'` instead registers a listener called once when the connection ends, while
   * `rooms` still lists the rooms it was in; an async listener's rejection is logged.
   */
  on(event: 'disconnect', listener: (info: DisconnectInfo) => unknown): this
  on<E extends EventName<ListenEvents>>(event: E, handler: TypedEventHandler<ListenEvents, E>): this
  on(event: string, handler: EventHandler): this {
    const core = this.#core
    if (event === 'disconnect') (core.onDisconnect ??= []).push(handler as (info: DisconnectInfo) => unknown)
    else core.handlers = flatSet(core.handlers, event, handler)
    return this
  }

  /** Removes the handler of `event`, or a `'disconnect'` listener. */
  off(event: 'disconnect', listener?: (info: DisconnectInfo) => unknown): this
  off<E extends EventName<ListenEvents>>(event: E, handler?: TypedEventHandler<ListenEvents, E>): this
  off(event: string, handler?: EventHandler): this {
    const core = this.#core
    if (event !== 'disconnect') flatDelete(core.handlers, event)
    else if (core.onDisconnect !== undefined) core.onDisconnect = core.onDisconnect.filter((l) => l !== handler)
    return this
  }

  /**
   * Sends `event` with `data` to this client only. While the session is detached it is kept and
   * sent when the client resumes; dropped once the connection ended.
   * @throws RealtimeError `INVALID_PAYLOAD`.
   */
  emit<E extends EventName<EmitEvents>>(event: E, ...args: EventArgs<EmitEvents, E>): void {
    this.#core.sendReliably({ t: 'event', e: event, d: args[0] })
  }

  /**
   * Sends `event` and resolves with the client handler's answer.
   * @throws RealtimeError `TIMEOUT` when no answer arrives in time, `DISCONNECTED` when the
   * connection ends first, or the error the client's handler threw.
   */
  emitWithAck<E extends EventName<EmitEvents>>(event: E, ...args: AckArgs<EmitEvents, E>): Promise<EventAnswer<EmitEvents, E>> {
    const [data, options = {}] = args as [unknown, EmitWithAckOptions | undefined]
    const core = this.#core
    if (core.state === 'closed') return Promise.reject(new RealtimeError(ErrorCode.Disconnected, 'The connection is closed'))
    const acks = (core.acks ??= new PendingAcks())
    const { id, promise } = acks.create(options.timeoutMs ?? core.host.ackTimeoutMs, event)
    try {
      core.sendReliably({ t: 'event', e: event, d: data, id })
    } catch (error) {
      promise.catch(() => {})
      acks.reject(id, error as RealtimeError)
    }
    return promise as Promise<EventAnswer<EmitEvents, E>>
  }

  /**
   * Closes the connection and ends its session. With the default code 1000 the client does not
   * reconnect; with another it reconnects into a fresh session.
   */
  disconnect(code = 1000, reason = ''): void {
    this.#core.disconnect(code, reason)
  }

  /**
   * Drops the transport at once, without a close handshake, as a dead network would: the client
   * sees the connection lost (close code 1006) and reconnects. A resumable session is detached and
   * waits for its client, as after any drop; any other ends. Does nothing once the transport is
   * gone.
   */
  terminate(): void {
    this.#core.terminate()
  }
}

/** The internal state of `conn`, for the server's modules; not exported from the package. */
export function coreOf<TData>(conn: Connection<TData>): Core<TData> {
  return coreOfConnection(conn)
}

/** The public face of `core`, made once when the server accepts a connection; not exported from the package. */
export function createConnection<TData>(id: string, data: TData | undefined, core: Core<TData>): Connection<TData> {
  return makeConnection(id, data, core)
}
