import {
  CloseCode,
  ErrorCode,
  PendingAcks,
  RealtimeError,
  decodeClientFrame,
  encodeData,
  encodeFrame,
  isRealtimeError,
  type AckFrame,
  type ChannelPosition,
  type ClientFrame,
  type ErrorPayload,
  type EventFrame,
  type HistoryFrame,
  type PublishFrame,
  type ResumeRequest,
  type Logger,
  type ServerFrame,
  type ServerSocket,
  type SubscribeResult,
  type TransportName,
  utf8Length,
} from '@org/realtime-core'
import type { BroadcastPacket } from './adapter.js'
import { BroadcastOperator, assertEmittable } from './broadcast.js'
import type { HistoryStore } from './history.js'
import { runMiddleware } from './internal/compose.js'
import { isThenable } from './internal/is-thenable.js'
import { flatDelete, flatGet, flatSet, type FlatMap } from './internal/flat-map.js'
import { ResumableSession, type PendingResume } from './internal/resumable-session.js'
import { historyPageText } from './internal/history-page.js'
import { entryBytes, reached, replay, type Replay } from './internal/replay.js'
import { toErrorPayload } from './internal/to-error-payload.js'
import type { ChannelAction, EventMiddleware, Handshake, IncomingEvent } from './options.js'
import type { ConnectionLimiter } from './rate-limit.js'

/** A numbered client frame without `id` is confirmed with a `rcv` frame after this many. */
const CONFIRM_EVERY = 32

/** Messages a `hist` frame gets when it names no limit. */
const DEFAULT_HISTORY_LIMIT = 100

/** Why a resubscription replays nothing: what it missed is still kept, but more than `replayBytes`. */
function tooLargeToReplay(replayBytes: number): ErrorPayload {
  return { code: ErrorCode.LimitExceeded, message: `The missed messages are more than a replay may send (${replayBytes} bytes): refetch` }
}

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
  /** Sessions kept after a drop: how many unconfirmed frames each keeps; undefined with `recovery: false`. */
  readonly sessionFrames: number | undefined
  /** How many bytes of unconfirmed frames each session keeps (`recovery.sessionBytes`). */
  readonly sessionBytes?: number
  /** The client sent a frame after its welcome, so it holds the token that welcome carried. */
  tokenReceived(conn: Connection<TData>): void
  /** The channel history, when the server keeps one. */
  history(): HistoryStore | undefined
  /** Most bytes of missed messages one resubscription or resume replays (`recovery.replayBytes`). */
  readonly replayBytes: number
  /** Most bytes of messages one history page carries (`recovery.historyPageBytes`). */
  readonly historyPageBytes: number
  /** The transport dropped and the session waits for its client to resume it. */
  detached(conn: Connection<TData>): void
  removed(conn: Connection<TData>, info: DisconnectInfo): void
}

/** One client connection on the server, handed out by the `connection` event. */
export class Connection<TData = Record<string, any>> {
  /** Session id, unique on this server; also accepted by `except`. */
  readonly id: string
  /** What `authenticate` returned; undefined until an empty object is made on first read. */
  #data: TData | undefined
  /** @internal Last time (ms since epoch) any frame arrived. */
  lastSeen = Date.now()
  /** @internal When the last heartbeat was sent (the connection's start before the first). */
  lastPingAt = this.lastSeen
  /** @internal When the unanswered heartbeat was sent, or 0. */
  pingSentAt = 0
  /** @internal When the connection's credentials expire (ms since the epoch), if they do. */
  expiresAt: number | undefined
  readonly #rooms = new Set<string>()
  #socket: ServerSocket | undefined
  #handshake: Handshake
  readonly #host: ConnectionHost<TData>
  /** Event name and handler in turn: connections have a few, and a Map of them costs ~180 bytes. */
  #handlers: FlatMap<EventHandler> | undefined
  #acks: PendingAcks | undefined
  #onDisconnect: Array<(info: DisconnectInfo) => void> | undefined
  readonly #limiter: ConnectionLimiter | undefined
  /** Frames sent before the welcome (by connection middleware), held so the welcome goes first. */
  #early: string[] | undefined = []
  #state: 'open' | 'detached' | 'closed' = 'open'
  /** The close this side asked for, if it did. */
  #closeIntent: DisconnectInfo | undefined
  /** What the session keeps so that its client can resume it; present when it can be. */
  readonly #session: ResumableSession | undefined
  /** @internal Why a requested resume failed: sent in the welcome of the fresh session. */
  resumeError: ErrorPayload | undefined

  /** @internal Created by `RealtimeServer` once the handshake succeeds. */
  constructor(id: string, socket: ServerSocket, handshake: Handshake, data: TData | undefined, host: ConnectionHost<TData>, recoverable = false) {
    this.id = id
    this.#socket = socket
    this.#handshake = handshake
    this.#data = data
    this.#host = host
    this.#limiter = host.limiter()
    if (recoverable && host.sessionFrames !== undefined) this.#session = new ResumableSession(host.sessionFrames, host.sessionBytes)
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

  /** What the client presented when it connected (or last resumed the session). */
  get handshake(): Handshake {
    return this.#handshake
  }

  /** The transport this connection uses. */
  get transport(): TransportName {
    return this.handshake.transport
  }

  /** Whether the connection is open; false while its session waits for the client to resume it, and once it ended. */
  get connected(): boolean {
    return this.#state === 'open'
  }

  /** @internal The last sequence number received from the client. */
  get lastReceived(): number {
    return this.#session?.inSeq ?? 0
  }

  /** Whether the session can be resumed by its client after a drop (the server's `recovery` is on and the client supports it). */
  get resumable(): boolean {
    return this.#session !== undefined && !this.#session.overflowed
  }

  /** @internal The secret that resumes this session, when it can be resumed. */
  get token(): string | undefined {
    return this.#session?.token
  }

  set token(token: string | undefined) {
    if (this.#session !== undefined) this.#session.token = token
  }

  /** @internal The token the last welcome replaced, valid until the client shows it got the new one. */
  get previousToken(): string | undefined {
    return this.#session?.previousToken
  }

  set previousToken(token: string | undefined) {
    if (this.#session !== undefined) this.#session.previousToken = token
  }

  /** @internal Set by the server between accepting a resume and sending its welcome. */
  get pendingResume(): PendingResume | undefined {
    return this.#session?.pendingResume
  }

  /** Rooms (channels) this connection is in. */
  get rooms(): ReadonlySet<string> {
    return this.#rooms
  }

  /** Adds this connection to `room`. While the session is detached, it is in `room` again once resumed. */
  join(room: string): void {
    if (this.#state === 'closed' || this.#rooms.has(room)) return
    this.#rooms.add(room)
    const history = this.#host.history()
    if (history !== undefined) this.#session?.joined(room, history.position(room))
    if (this.#state === 'open') this.#host.join(this, room)
  }

  /** Removes this connection from `room`. */
  leave(room: string): void {
    if (!this.#rooms.delete(room)) return
    this.#session?.left(room)
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
    else this.#handlers = flatSet(this.#handlers, event, handler)
    return this
  }

  /** Removes the handler of `event`, or a `'disconnect'` listener. */
  off(event: string, handler?: EventHandler): this {
    if (event !== 'disconnect') flatDelete(this.#handlers, event)
    else if (this.#onDisconnect !== undefined) this.#onDisconnect = this.#onDisconnect.filter((l) => l !== handler)
    return this
  }

  /**
   * Sends `event` with `data` to this client only. While the session is detached it is kept and
   * sent when the client resumes; dropped once the connection ended.
   * @throws RealtimeError `RESERVED_EVENT` or `INVALID_PAYLOAD`.
   */
  emit(event: string, data?: unknown): void {
    assertEmittable(event)
    this.#sendReliably({ t: 'event', e: event, d: data })
  }

  /**
   * Sends `event` and resolves with the client handler's answer.
   * @throws RealtimeError `TIMEOUT` when no answer arrives in time, `DISCONNECTED` when the
   * connection ends first, or the error the client's handler threw.
   */
  emitWithAck<T = unknown>(event: string, data?: unknown, options: EmitWithAckOptions = {}): Promise<T> {
    if (this.#state === 'closed') return Promise.reject(new RealtimeError(ErrorCode.Disconnected, 'The connection is closed'))
    const acks = (this.#acks ??= new PendingAcks())
    const { id, promise } = acks.create(options.timeoutMs ?? this.#host.ackTimeoutMs, event)
    try {
      assertEmittable(event)
      this.#sendReliably({ t: 'event', e: event, d: data, id })
    } catch (error) {
      promise.catch(() => {})
      acks.reject(id, error as RealtimeError)
    }
    return promise as Promise<T>
  }

  /**
   * Closes the connection and ends its session. With the default code 1000 the client does not
   * reconnect; with another it reconnects into a fresh session.
   */
  disconnect(code = 1000, reason = ''): void {
    if (this.#state === 'detached') this.#end({ code, reason })
    if (this.#state !== 'open') return
    this.#closeIntent ??= { code, reason }
    this.#socket?.close(code, reason)
  }

  /**
   * @internal Sends an already encoded frame; dropped unless the connection is open, and once this
   * side closed it (a slow consumer cut off, a refused client): nothing more is queued for it.
   */
  sendEncoded(frame: string): void {
    if (this.#state !== 'open' || this.#closeIntent !== undefined) return
    if (this.#early !== undefined) {
      this.#early.push(frame)
      return
    }
    const socket = this.#socket as ServerSocket
    socket.send(frame)
    if (socket.bufferedAmount > this.#host.maxBufferedBytes) this.#dropSlowConsumer()
  }

  /** The client does not read what it is sent: close, and cut it off if it cannot even take that. */
  #dropSlowConsumer(): void {
    this.#host.logger.warn('slow consumer disconnected', { connection: this.id, bufferedAmount: this.#socket?.bufferedAmount })
    this.disconnect(CloseCode.SlowConsumer, ErrorCode.SlowConsumer)
    const timer = setTimeout(() => this.terminate(), this.#host.closeTimeoutMs)
    this.on('disconnect', () => clearTimeout(timer))
  }

  /** @internal Sends the welcome, then what was sent during the handshake. */
  welcome(frame: string): void {
    const socket = this.#socket as ServerSocket
    const early = this.#early ?? []
    this.#early = undefined
    if (this.#session !== undefined) this.#session.tokenUnproven = this.#session.token !== undefined
    socket.send(frame)
    for (const held of early) socket.send(held)
  }

  /** @internal Drops the connection at once (dead peer). */
  terminate(): void {
    if (this.#state === 'open') this.#socket?.terminate()
  }

  /**
   * @internal Checks a client's request to resume this session, given the channel history now.
   * Returns why it cannot be resumed, or stores what to replay for {@link resume}.
   */
  prepareResume(request: ResumeRequest, handshake: Handshake): ErrorPayload | undefined {
    if (this.#session === undefined || this.#state === 'closed') return { code: ErrorCode.UnknownSession, message: 'No session to resume under this token' }
    return this.#session.prepare(request, handshake, this.#rooms, this.#host.history())
  }

  /**
   * @internal Attaches the session to the socket of the client that resumed it and sends, in one
   * go: `welcome`, the frames to the session the client missed, and each room's missed messages.
   * Returns false when the session ended in the meantime.
   */
  resume(socket: ServerSocket, welcome: (lost: readonly string[]) => string): boolean {
    const session = this.#session
    const pending = session?.pendingResume
    if (session === undefined || pending === undefined) return false
    session.pendingResume = undefined
    if (this.#state === 'closed') return false
    const frames = session.stream.after(pending.request.s)
    if (frames === undefined) return false
    // Everything to send is read before anything changes: the session stays as it was if reading fails.
    const lost = [...pending.lost]
    const replays = this.#replays(pending.since, lost)
    const previous = this.#state === 'open' ? this.#socket : undefined
    this.#socket = socket
    this.#handshake = pending.handshake
    this.#state = 'open'
    this.#early = undefined
    session.dropInfo = undefined
    this.lastSeen = this.lastPingAt = Date.now()
    this.pingSentAt = 0
    // A half-open socket the server had not noticed yet: its close must not end the session.
    previous?.terminate()
    socket.send(welcome(lost))
    session.tokenUnproven = true
    for (const frame of frames) socket.send(frame)
    for (const frame of replays) socket.send(frame)
    for (const room of this.#rooms) this.#host.join(this, room)
    return true
  }

  /**
   * The frames a resume replays from each room's history, within `replayBytes` in all and the
   * connection's byte budget; a room whose missed messages are gone or do not fit goes in `lost`.
   */
  #replays(since: ReadonlyMap<string, number>, lost: string[]): string[] {
    const history = this.#host.history() as HistoryStore
    const frames: string[] = []
    let budget = this.#host.replayBytes
    for (const [room, offset] of since) {
      const missed = replay(history, room, offset, this, budget)
      if (missed.complete && this.#chargeReplay(missed) === undefined) {
        budget -= missed.bytes
        frames.push(...missed.frames)
      } else lost.push(room)
    }
    return frames
  }

  /** Charges what a replay sends against the connection's byte budget; returns the refusal, if any. */
  #chargeReplay(missed: Replay): ErrorPayload | undefined {
    return missed.bytes === 0 ? undefined : this.#limiter?.chargeBytes(missed.bytes)
  }

  /** @internal A frame arrived from the client. */
  receive(text: string): void {
    // Any frame answers a heartbeat; a pong is free only as the first frame after a ping.
    const pingAnswered = this.pingSentAt !== 0 && this.lastSeen < this.pingSentAt
    this.lastSeen = Date.now()
    const session = this.#session
    if (session?.tokenUnproven === true) {
      session.tokenUnproven = false
      this.#host.tokenReceived(this)
    }
    let frame: ClientFrame | undefined
    let malformed: unknown
    try {
      frame = decodeClientFrame(text)
    } catch (error) {
      malformed = error
    }
    // Sequence numbers count only on a connection whose client said it resumes sessions.
    const numbered = session !== undefined && (frame?.t === 'event' || frame?.t === 'pub') && frame.s !== undefined ? frame : undefined
    if (this.#limiter !== undefined) {
      const refusal = this.#limiter.chargeBytes(utf8Length(text)) ?? this.#charge(this.#limiter, frame, pingAnswered)
      // An `ack` carries the server's own id: its refusal must not look like an answer to a client request.
      const id = frame !== undefined && frame.t !== 'ack' && 'id' in frame ? frame.id : undefined
      if (refusal !== undefined) return this.#refuse(refusal, id, numbered)
    }
    if (frame === undefined) this.#sendError(toErrorPayload(malformed))
    // A repeat of a numbered frame was handled when it first came; one that skips ahead ends the session.
    else if (numbered === undefined || this.#inSequence(numbered)) this.#dispatch(frame)
  }

  /**
   * What a frame costs in the frame budget. Malformed frames are charged too, so a flood of
   * garbage is refused like any other; the answers the server awaits (the pong to its ping, a
   * `rcv` that confirms kept frames, an `ack` it asked for) are free, and anything else costs 1;
   * a `sub` costs 1 per channel it adds. An `ack` is charged once it is known to answer nothing.
   */
  #charge(limiter: ConnectionLimiter, frame: ClientFrame | undefined, pingAnswered: boolean): ErrorPayload | undefined {
    switch (frame?.t) {
      case 'event':
      case 'pub':
        return limiter.chargeMessage(frame.e)
      case 'pong':
        return pingAnswered ? undefined : limiter.chargeFrames(1)
      case 'rcv':
        return this.#session?.stream.confirms(frame.s) === true ? undefined : limiter.chargeFrames(1)
      case 'ack':
        return undefined
      case 'sub': {
        let added = 0
        for (const channel of frame.ch) if (!this.#rooms.has(channel)) added++
        return limiter.chargeFrames(Math.max(1, added))
      }
      default:
        return limiter.chargeFrames(1)
    }
  }

  /** An `ack` that answers no request of the server's costs what any other frame costs. */
  #settle(frame: AckFrame): void {
    if (this.#acks?.settle(frame) === true) return
    const refusal = this.#limiter?.chargeFrames(1)
    if (refusal !== undefined) this.#refuse(refusal, undefined, undefined)
  }

  /**
   * Answers a frame a limit refused, and closes a connection that keeps pushing. A refused
   * numbered frame still takes its number: it was handled, by refusing it.
   */
  #refuse(refusal: ErrorPayload, id: number | undefined, numbered: EventFrame | PublishFrame | undefined): void {
    // Only a frame that skips ahead is not answered: it ends the session.
    if (numbered !== undefined && (numbered.s as number) > this.lastReceived && !this.#inSequence(numbered)) return
    if (id === undefined) this.#sendError(refusal)
    else this.#answer({ t: 'ack', id, err: refusal }, numbered !== undefined)
    if (this.#limiter?.abusive() === true) this.disconnect(CloseCode.RateLimited, ErrorCode.RateLimited)
  }

  /**
   * Whether a numbered frame is the next one: a repeat is dropped (it was handled when it first
   * came), a gap ends the session, since the frames in it can no longer be applied in order.
   */
  #inSequence(frame: EventFrame | PublishFrame): boolean {
    // Frames are numbered only on sessions that can be resumed.
    const session = this.#session as ResumableSession
    const s = frame.s as number
    if (s <= session.inSeq) {
      this.#host.logger.debug('repeated frame dropped', { connection: this.id, s })
      return false
    }
    if (s !== session.inSeq + 1) {
      this.#sendError({ code: ErrorCode.InvalidSequence, message: `Expected frame ${session.inSeq + 1}, got ${s}` })
      this.disconnect(CloseCode.SessionReset, ErrorCode.InvalidSequence)
      return false
    }
    session.inSeq = s
    if (frame.id === undefined && ++session.unconfirmed >= CONFIRM_EVERY) {
      session.unconfirmed = 0
      this.#send({ t: 'rcv', s })
    }
    return true
  }

  /**
   * @internal The transport reported the connection gone. A session the client can resume waits
   * for it, unless either side closed on purpose; otherwise it ends.
   */
  closed(reported: DisconnectInfo, socket?: ServerSocket): void {
    if (this.#state !== 'open' || (socket !== undefined && socket !== this.#socket)) return
    const deliberate = this.#closeIntent !== undefined || reported.code === CloseCode.Normal || reported.code === CloseCode.GoingAway
    if (this.resumable && !deliberate && this.#early === undefined) this.#detach(reported)
    else this.#end(reported)
  }

  /** The transport is gone but the session stays: out of its rooms' deliveries, frames to it kept. */
  #detach(info: DisconnectInfo): void {
    // Only a session that can be resumed is detached.
    const session = this.#session as ResumableSession
    this.#state = 'detached'
    this.#socket = undefined
    session.dropInfo = info
    for (const room of this.#rooms) this.#host.leave(this, room)
    this.#host.detached(this)
  }

  /** @internal The session was not resumed in time. */
  expireSession(): void {
    if (this.#state === 'detached') this.#end(this.#session?.dropInfo as DisconnectInfo)
  }

  /**
   * The session ends. `disconnect` listeners run while `rooms` still lists the rooms the
   * connection was in; it leaves them afterwards.
   */
  #end(reported: DisconnectInfo): void {
    this.#state = 'closed'
    this.#socket = undefined
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
        this.#runEvent(frame.e, undefined, frame.d, frame.id, this.#session !== undefined && frame.s !== undefined)
        return
      case 'pub':
        this.#runEvent(frame.e, frame.ch, frame.d, frame.id, this.#session !== undefined && frame.s !== undefined)
        return
      case 'rcv':
        this.#session?.stream.confirm(frame.s)
        return
      case 'hist':
        this.#answerLater(this.#readHistory(frame), frame.id)
        return
      case 'ack':
        this.#settle(frame)
        return
      case 'sub':
        this.#answerLater(this.#subscribe(frame.id, frame.ch, frame.since), frame.id)
        return
      case 'unsub':
        for (const channel of frame.ch) this.leave(channel)
        if (frame.id !== undefined) this.#send({ t: 'ack', id: frame.id })
        return
      case 'auth':
        this.#answerLater(this.#reauthenticate(frame.id, frame.auth), frame.id)
        return
      case 'hello':
        this.#sendError({ code: ErrorCode.BadFrame, message: 'Malformed frame: the handshake is already done' })
    }
  }

  /** Runs an event or publish; `numbered` when the client numbered it, so its answer must survive a reconnect. */
  #runEvent(event: string, channel: string | undefined, data: unknown, id: number | undefined, numbered: boolean): void {
    const incoming: IncomingEvent<TData> = { conn: this, event, channel, data }
    if (channel !== undefined || this.#host.eventMiddleware.length > 0) {
      // It answers for itself, failures included.
      this.#answerLater(this.#runThroughMiddleware(incoming, id, numbered), undefined)
      return
    }
    // No middleware: a handler that answers synchronously is acknowledged in the same turn.
    let result: unknown
    try {
      result = this.#handle(incoming, id !== undefined)
    } catch (error) {
      return this.#failed(error, event, id, numbered)
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.#answered(value, event, id, numbered),
        (error: unknown) => this.#failed(error, event, id, numbered),
      )
    } else this.#answered(result, event, id, numbered)
  }

  async #runThroughMiddleware(incoming: IncomingEvent<TData>, id: number | undefined, numbered: boolean): Promise<void> {
    let result: unknown
    try {
      await runMiddleware(this.#host.eventMiddleware, incoming, async () => {
        result = incoming.channel === undefined ? await this.#handle(incoming, id !== undefined) : await this.#publish(incoming)
      })
    } catch (error) {
      return this.#failed(error, incoming.event, id, numbered)
    }
    this.#answered(result, incoming.event, id, numbered)
  }

  #answered(result: unknown, event: string, id: number | undefined, numbered: boolean): void {
    if (id === undefined) return
    try {
      this.#answer({ t: 'ack', id, d: result }, numbered)
    } catch (error) {
      this.#failed(error, event, id, numbered)
    }
  }

  #failed(error: unknown, event: string, id: number | undefined, numbered: boolean): void {
    if (!isRealtimeError(error)) this.#host.logger.error('event handler threw', { error, event, connection: this.id })
    if (id !== undefined) this.#answer({ t: 'ack', id, err: toErrorPayload(error) }, numbered)
    else if (isRealtimeError(error)) this.#sendError(toErrorPayload(error))
  }

  /** Answers a request; the answer to a numbered frame is numbered too, so a resume can send it again. */
  #answer(frame: ServerFrame, numbered: boolean): void {
    if (numbered) this.#sendReliably(frame)
    else this.#send(frame)
  }

  #handle(incoming: IncomingEvent<TData>, wantsAck: boolean): unknown {
    const handler = flatGet(this.#handlers, incoming.event)
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
    this.#host.broadcast({ event: incoming.event, json: encodeData(incoming.data), rooms: [channel], except: [this.id] })
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

  async #subscribe(id: number, channels: readonly string[], since: Record<string, ChannelPosition> | undefined): Promise<void> {
    // What the channels of this one frame may replay, together.
    const budget = { bytes: this.#host.replayBytes }
    const results = await Promise.all(
      channels.map(async (channel): Promise<SubscribeResult> => {
        const refusal = await this.#host.authorize(this, channel, 'subscribe')
        if (refusal !== undefined) return { ch: channel, err: refusal }
        if (!this.#rooms.has(channel) && this.#rooms.size >= this.#host.subscriptionsPerConnection) {
          const limit = this.#host.subscriptionsPerConnection
          return { ch: channel, err: { code: ErrorCode.LimitExceeded, message: `A connection may be in at most ${limit} rooms` } }
        }
        return this.#joinFrom(channel, since !== undefined && Object.hasOwn(since, channel) ? since[channel] : undefined, budget)
      }),
    )
    this.#send({ t: 'ack', id, d: results })
  }

  /**
   * Joins `channel` and, when the client says where it left it, sends what it missed before any
   * live message: both happen in this one turn, so nothing falls between them. What it missed is
   * replayed only when it fits in `budget` and the connection's byte budget; otherwise the client
   * is told `recovered: false`, with the reason, and refetches.
   */
  #joinFrom(channel: string, since: ChannelPosition | undefined, budget: { bytes: number }): SubscribeResult {
    const history = this.#host.history()
    const alreadyIn = this.#rooms.has(channel)
    this.join(channel)
    if (history === undefined) return { ch: channel }
    const position = history.position(channel)
    if (since === undefined || alreadyIn) return { ch: channel, ...position, recovered: alreadyIn && since !== undefined }
    if (since.epoch === position.epoch && since.offset > position.offset) {
      const reason = { code: ErrorCode.InvalidOffset, message: `Offset ${since.offset} is ahead of the channel (${position.offset})` }
      return { ch: channel, ...position, recovered: false, reason }
    }
    // A connection being closed gets nothing more: a replay stops with it.
    if (since.epoch !== position.epoch || this.#closeIntent !== undefined || this.#state !== 'open') return { ch: channel, ...position, recovered: false }
    const missed = replay(history, channel, since.offset, this, budget.bytes)
    const refusal = missed.tooLarge ? tooLargeToReplay(this.#host.replayBytes) : missed.complete ? this.#chargeReplay(missed) : undefined
    if (!missed.complete || refusal !== undefined) return { ch: channel, ...position, recovered: false, ...(refusal === undefined ? {} : { reason: refusal }) }
    budget.bytes -= missed.bytes
    for (const frame of missed.frames) this.sendEncoded(frame)
    return { ch: channel, epoch: position.epoch, offset: since.offset, recovered: true }
  }

  /**
   * Answers a `hist` frame with the channel's kept messages, as the connection would have received
   * them: at most `limit` messages and `historyPageBytes` bytes (at least one message), charged
   * against the connection's byte budget. A channel with no history is reported empty, with an
   * empty epoch, and gets none started.
   */
  async #readHistory(frame: HistoryFrame): Promise<void> {
    const refusal = await this.#host.authorize(this, frame.ch, 'subscribe')
    const history = this.#host.history()
    if (refusal !== undefined || history === undefined) {
      const err = refusal ?? { code: ErrorCode.Forbidden, message: 'This server keeps no channel history' }
      return this.#send({ t: 'ack', id: frame.id, err })
    }
    const position = history.peek(frame.ch) ?? { epoch: '', offset: 0 }
    const since = Math.min(frame.since ?? 0, position.offset)
    const limits = { limit: frame.limit ?? DEFAULT_HISTORY_LIMIT, maxBytes: this.#host.historyPageBytes }
    const { entries, complete } = history.after(frame.ch, since, limits)
    const messages = entries.filter((entry) => reached(entry, frame.ch, this))
    let bytes = 0
    for (const entry of messages) bytes += entryBytes(entry)
    const overBudget = bytes === 0 ? undefined : this.#limiter?.chargeBytes(bytes)
    if (overBudget !== undefined) return this.#refuse(overBudget, frame.id, undefined)
    this.sendEncoded(historyPageText(frame.id, position, complete, messages))
  }

  /**
   * Runs a request answered later (`sub`, `hist`, `auth`, an event through middleware). A failure
   * nobody expected is logged and answered as `HANDLER_ERROR`: it never becomes an unhandled
   * rejection, which would end the process.
   */
  #answerLater(request: Promise<void>, id: number | undefined): void {
    request.catch((error: unknown) => {
      this.#host.logger.error('request failed', { error, connection: this.id })
      if (id !== undefined) this.#send({ t: 'ack', id, err: toErrorPayload(error) })
    })
  }

  #sendError(error: ErrorPayload): void {
    this.#send({ t: 'error', ...error })
  }

  #send(frame: ServerFrame): void {
    this.sendEncoded(encodeFrame(frame))
  }

  /** Sends a frame the session must deliver even across a reconnect: numbered and kept until confirmed. */
  #sendReliably(frame: ServerFrame): void {
    const session = this.#session
    if (session === undefined) return this.#send(frame)
    if (this.#state === 'closed') return
    const encoded = session.stream.add(frame)
    if (this.#state === 'open') this.sendEncoded(encoded)
    // Detached, and more missed than a resume may replay: the session cannot be resumed any more.
    else if (session.stream.overflowed) this.#end(session.dropInfo as DisconnectInfo)
  }
}
