import {
  CloseCode,
  ErrorCode,
  PendingAcks,
  RealtimeError,
  decodeClientFrame,
  encodeFrame,
  isRealtimeError,
  type ClientFrame,
  type ErrorPayload,
  type Logger,
  type ServerFrame,
  type ServerSocket,
  type SubscribeResult,
  type TransportName,
  utf8Length,
} from '@org/realtime-core'
import type { BroadcastPacket } from './adapter.js'
import { BroadcastOperator, assertEmittable } from './broadcast.js'
import { runMiddleware } from './internal/compose.js'
import { toErrorPayload } from './internal/to-error-payload.js'
import type { ChannelAction, EventMiddleware, Handshake, IncomingEvent } from './options.js'
import type { ConnectionLimiter } from './rate-limit.js'

/**
 * Handles one event from a client. What it returns (or resolves to) is the acknowledgement the
 * client awaits in `emitWithAck`; what it throws is sent as the acknowledgement's error — the code
 * and message of a `RealtimeError`, or `HANDLER_ERROR` with no detail for anything else.
 */
export type EventHandler = (data: any) => unknown

/** Why a connection ended. */
export interface DisconnectInfo {
  /** The close code, e.g. 1000 for a deliberate close, 1006 for a lost connection. */
  code: number
  /** Human-readable reason, possibly empty. */
  reason: string
}

/** Options of {@link Connection.emitWithAck}. */
export interface EmitWithAckOptions {
  /**
   * Milliseconds to wait for the client's acknowledgement.
   * @default the server's `ackTimeoutMs` (10000)
   */
  timeoutMs?: number
}

/** @internal What a connection needs from its server. */
export interface ConnectionHost<TData> {
  readonly ackTimeoutMs: number
  readonly maxBufferedBytes: number
  readonly closeTimeoutMs: number
  /** Rooms a connection may be in when it subscribes to one more; Infinity without limits. */
  readonly subscriptionsPerConnection: number
  /** The budgets of a new connection, or undefined when limits are off. */
  limiter(): ConnectionLimiter | undefined
  readonly logger: Logger
  readonly eventMiddleware: readonly EventMiddleware<TData>[]
  join(conn: Connection<TData>, room: string): void
  leave(conn: Connection<TData>, room: string): void
  broadcast(packet: BroadcastPacket): void
  authorize(conn: Connection<TData>, channel: string, action: ChannelAction): Promise<ErrorPayload | undefined>
  /** Checks fresh credentials; updates `data` and `expiresAt`, or throws. */
  reauthenticate(conn: Connection<TData>, auth: unknown): Promise<void>
  removed(conn: Connection<TData>, info: DisconnectInfo): void
}

/** One client connection on the server, handed out by the `connection` event. */
export class Connection<TData = Record<string, any>> {
  /** Session id, unique on this server; also accepted by `except`. */
  readonly id: string
  /** Application data of this connection; starts as what `authenticate` returned. */
  data: TData
  /** What the client presented when it connected. */
  readonly handshake: Handshake
  /** @internal Last time (ms since epoch) any frame arrived. */
  lastSeen = Date.now()
  /** @internal When the last heartbeat was sent (the connection's start before the first). */
  lastPingAt = this.lastSeen
  /** @internal When the unanswered heartbeat was sent, or 0. */
  pingSentAt = 0
  /** @internal When the connection's credentials expire (ms since the epoch), if they do. */
  expiresAt: number | undefined
  readonly #rooms = new Set<string>()
  readonly #socket: ServerSocket
  readonly #host: ConnectionHost<TData>
  #handlers: Map<string, EventHandler> | undefined
  #acks: PendingAcks | undefined
  #onDisconnect: Array<(info: DisconnectInfo) => void> | undefined
  readonly #limiter: ConnectionLimiter | undefined
  /** Frames sent before the welcome (by connection middleware), held so the welcome goes first. */
  #early: string[] | undefined = []
  #open = true
  /** The close this side asked for, if it did. */
  #closeIntent: DisconnectInfo | undefined

  /** @internal Created by `RealtimeServer` once the handshake succeeds. */
  constructor(id: string, socket: ServerSocket, handshake: Handshake, data: TData, host: ConnectionHost<TData>) {
    this.id = id
    this.#socket = socket
    this.handshake = handshake
    this.data = data
    this.#host = host
    this.#limiter = host.limiter()
  }

  /** The transport this connection uses. */
  get transport(): TransportName {
    return this.handshake.transport
  }

  /** Whether the connection is still open. */
  get connected(): boolean {
    return this.#open
  }

  /** Rooms (channels) this connection is in. */
  get rooms(): ReadonlySet<string> {
    return this.#rooms
  }

  /** Adds this connection to `room`. */
  join(room: string): void {
    if (!this.#open || this.#rooms.has(room)) return
    this.#rooms.add(room)
    this.#host.join(this, room)
  }

  /** Removes this connection from `room`. */
  leave(room: string): void {
    if (!this.#rooms.delete(room)) return
    this.#host.leave(this, room)
  }

  /** Targets `room` for a broadcast that leaves this connection out. */
  to(room: string | readonly string[]): BroadcastOperator {
    return new BroadcastOperator((packet) => this.#host.broadcast(packet), [], [this.id]).to(room)
  }

  /**
   * Handles `event` sent by the client with `handler`, replacing any earlier handler of that event.
   * `'disconnect'` instead registers a listener called once when the connection ends, while
   * `rooms` still lists the rooms it was in.
   */
  on(event: 'disconnect', listener: (info: DisconnectInfo) => void): this
  on(event: string, handler: EventHandler): this
  on(event: string, handler: EventHandler): this {
    if (event === 'disconnect') (this.#onDisconnect ??= []).push(handler as (info: DisconnectInfo) => void)
    else (this.#handlers ??= new Map()).set(event, handler)
    return this
  }

  /** Removes the handler of `event`, or a `'disconnect'` listener. */
  off(event: string, handler?: EventHandler): this {
    if (event !== 'disconnect') this.#handlers?.delete(event)
    else if (this.#onDisconnect !== undefined) this.#onDisconnect = this.#onDisconnect.filter((l) => l !== handler)
    return this
  }

  /**
   * Sends `event` with `data` to this client only. Dropped if the connection is closed.
   * @throws RealtimeError `RESERVED_EVENT` or `INVALID_PAYLOAD`.
   */
  emit(event: string, data?: unknown): void {
    assertEmittable(event)
    this.#send({ t: 'event', e: event, d: data })
  }

  /**
   * Sends `event` and resolves with the client handler's answer.
   * @throws RealtimeError `TIMEOUT` when no answer arrives in time, `DISCONNECTED` when the
   * connection ends first, or the error the client's handler threw.
   */
  emitWithAck<T = unknown>(event: string, data?: unknown, options: EmitWithAckOptions = {}): Promise<T> {
    if (!this.#open) return Promise.reject(new RealtimeError(ErrorCode.Disconnected, 'The connection is closed'))
    const acks = (this.#acks ??= new PendingAcks())
    const { id, promise } = acks.create(options.timeoutMs ?? this.#host.ackTimeoutMs, event)
    try {
      assertEmittable(event)
      this.#send({ t: 'event', e: event, d: data, id })
    } catch (error) {
      promise.catch(() => {})
      acks.reject(id, error as RealtimeError)
    }
    return promise as Promise<T>
  }

  /** Closes the connection. With the default code 1000 the client does not reconnect. */
  disconnect(code = 1000, reason = ''): void {
    if (!this.#open) return
    this.#closeIntent ??= { code, reason }
    this.#socket.close(code, reason)
  }

  /** @internal Sends an already encoded frame. */
  sendEncoded(frame: string): void {
    if (!this.#open) return
    if (this.#early !== undefined) {
      this.#early.push(frame)
      return
    }
    this.#socket.send(frame)
    if (this.#socket.bufferedAmount > this.#host.maxBufferedBytes) this.#dropSlowConsumer()
  }

  /** The client does not read what it is sent: close, and cut it off if it cannot even take that. */
  #dropSlowConsumer(): void {
    this.#host.logger.warn('slow consumer disconnected', { connection: this.id, bufferedAmount: this.#socket.bufferedAmount })
    this.disconnect(CloseCode.SlowConsumer, ErrorCode.SlowConsumer)
    const timer = setTimeout(() => this.terminate(), this.#host.closeTimeoutMs)
    this.on('disconnect', () => clearTimeout(timer))
  }

  /** @internal Sends the welcome, then what was sent during the handshake. */
  welcome(frame: string): void {
    const early = this.#early ?? []
    this.#early = undefined
    this.#socket.send(frame)
    for (const held of early) this.#socket.send(held)
  }

  /** @internal Drops the connection at once (dead peer). */
  terminate(): void {
    if (this.#open) this.#socket.terminate()
  }

  /** @internal A frame arrived from the client. */
  receive(text: string): void {
    this.lastSeen = Date.now()
    let frame: ClientFrame | undefined
    let malformed: unknown
    try {
      frame = decodeClientFrame(text)
    } catch (error) {
      malformed = error
    }
    if (this.#limiter !== undefined) {
      // Malformed frames are charged too, so a flood of garbage is refused like any other.
      const limited = frame === undefined || (frame.t !== 'pong' && frame.t !== 'ack')
      const refusal =
        this.#limiter.chargeBytes(utf8Length(text)) ??
        (limited ? this.#limiter.chargeMessage(frame?.t === 'event' || frame?.t === 'pub' ? frame.e : undefined) : undefined)
      // An `ack` carries the server's own id: its refusal must not look like an answer to a client request.
      const id = frame !== undefined && frame.t !== 'ack' && 'id' in frame ? frame.id : undefined
      if (refusal !== undefined) return this.#refuse(refusal, id)
    }
    if (frame === undefined) this.#sendError(toErrorPayload(malformed))
    else this.#dispatch(frame)
  }

  /** Answers a frame a limit refused, and closes a connection that keeps pushing. */
  #refuse(refusal: ErrorPayload, id: number | undefined): void {
    if (id === undefined) this.#sendError(refusal)
    else this.#send({ t: 'ack', id, err: refusal })
    if (this.#limiter?.abusive() === true) this.disconnect(CloseCode.RateLimited, ErrorCode.RateLimited)
  }

  /**
   * @internal The transport reported the connection gone. `disconnect` listeners run while
   * `rooms` still lists the rooms the connection was in; it leaves them afterwards.
   */
  closed(reported: DisconnectInfo): void {
    if (!this.#open) return
    this.#open = false
    // A peer that never answered our close is cut off (1006): report why we closed it.
    const info = reported.code === CloseCode.Abnormal && this.#closeIntent !== undefined ? this.#closeIntent : reported
    this.#acks?.rejectAll(new RealtimeError(ErrorCode.Disconnected, 'The connection closed before the client answered'))
    this.#host.removed(this, info)
    for (const listener of this.#onDisconnect ?? []) {
      try {
        listener(info)
      } catch (error) {
        this.#host.logger.error('disconnect listener threw', { error, connection: this.id })
      }
    }
    for (const room of this.#rooms) this.#host.leave(this, room)
    this.#rooms.clear()
  }

  #dispatch(frame: ClientFrame): void {
    switch (frame.t) {
      case 'pong':
        return
      case 'event':
        this.#runEvent(frame.e, undefined, frame.d, frame.id)
        return
      case 'pub':
        this.#runEvent(frame.e, frame.ch, frame.d, frame.id)
        return
      case 'ack':
        this.#acks?.settle(frame)
        return
      case 'sub':
        void this.#subscribe(frame.id, frame.ch)
        return
      case 'unsub':
        for (const channel of frame.ch) this.leave(channel)
        if (frame.id !== undefined) this.#send({ t: 'ack', id: frame.id })
        return
      case 'auth':
        void this.#reauthenticate(frame.id, frame.auth)
        return
      case 'hello':
        this.#sendError({ code: ErrorCode.BadFrame, message: 'Malformed frame: the handshake is already done' })
    }
  }

  #runEvent(event: string, channel: string | undefined, data: unknown, id: number | undefined): void {
    const incoming: IncomingEvent<TData> = { conn: this, event, channel, data }
    if (channel !== undefined || this.#host.eventMiddleware.length > 0) {
      void this.#runThroughMiddleware(incoming, id)
      return
    }
    // No middleware: a handler that answers synchronously is acknowledged in the same turn.
    let result: unknown
    try {
      result = this.#handle(incoming, id !== undefined)
    } catch (error) {
      return this.#failed(error, event, id)
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.#answered(value, event, id),
        (error: unknown) => this.#failed(error, event, id),
      )
    } else this.#answered(result, event, id)
  }

  async #runThroughMiddleware(incoming: IncomingEvent<TData>, id: number | undefined): Promise<void> {
    let result: unknown
    try {
      await runMiddleware(this.#host.eventMiddleware, incoming, async () => {
        result = incoming.channel === undefined ? await this.#handle(incoming, id !== undefined) : await this.#publish(incoming)
      })
    } catch (error) {
      return this.#failed(error, incoming.event, id)
    }
    this.#answered(result, incoming.event, id)
  }

  #answered(result: unknown, event: string, id: number | undefined): void {
    if (id === undefined) return
    try {
      this.#send({ t: 'ack', id, d: result })
    } catch (error) {
      this.#failed(error, event, id)
    }
  }

  #failed(error: unknown, event: string, id: number | undefined): void {
    if (!isRealtimeError(error)) this.#host.logger.error('event handler threw', { error, event, connection: this.id })
    if (id !== undefined) this.#send({ t: 'ack', id, err: toErrorPayload(error) })
    else if (isRealtimeError(error)) this.#sendError(toErrorPayload(error))
  }

  #handle(incoming: IncomingEvent<TData>, wantsAck: boolean): unknown {
    const handler = this.#handlers?.get(incoming.event)
    if (handler !== undefined) return handler(incoming.data)
    if (wantsAck) throw new RealtimeError(ErrorCode.UnknownEvent, `No handler for "${incoming.event}"`)
    this.#host.logger.debug('event without handler', { event: incoming.event, connection: this.id })
    return undefined
  }

  async #publish(incoming: IncomingEvent<TData>): Promise<void> {
    const channel = incoming.channel as string
    const refusal = await this.#host.authorize(this, channel, 'publish')
    if (refusal !== undefined) throw new RealtimeError(refusal.code, refusal.message)
    assertEmittable(incoming.event)
    this.#host.broadcast({ event: incoming.event, data: incoming.data, rooms: [channel], except: [this.id] })
  }

  async #reauthenticate(id: number, auth: unknown): Promise<void> {
    try {
      await this.#host.reauthenticate(this, auth)
      this.#send({ t: 'ack', id, d: this.expiresAt === undefined ? {} : { expiresAt: this.expiresAt } })
    } catch (error) {
      this.#send({ t: 'ack', id, err: toErrorPayload(error) })
    }
  }

  /** @internal The credentials expired without renewal: close with 4401. */
  expire(): void {
    if (this.#closeIntent !== undefined) return
    this.#sendError({ code: ErrorCode.Unauthorized, message: 'The session expired' })
    this.disconnect(CloseCode.Unauthorized, 'SESSION_EXPIRED')
  }

  async #subscribe(id: number, channels: readonly string[]): Promise<void> {
    const results = await Promise.all(
      channels.map(async (channel): Promise<SubscribeResult> => {
        const refusal = await this.#host.authorize(this, channel, 'subscribe')
        if (refusal !== undefined) return { ch: channel, err: refusal }
        if (!this.#rooms.has(channel) && this.#rooms.size >= this.#host.subscriptionsPerConnection) {
          const limit = this.#host.subscriptionsPerConnection
          return { ch: channel, err: { code: ErrorCode.LimitExceeded, message: `A connection may be in at most ${limit} rooms` } }
        }
        this.join(channel)
        return { ch: channel }
      }),
    )
    this.#send({ t: 'ack', id, d: results })
  }

  #sendError(error: ErrorPayload): void {
    this.#send({ t: 'error', ...error })
  }

  #send(frame: ServerFrame): void {
    this.sendEncoded(encodeFrame(frame))
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function'
}
