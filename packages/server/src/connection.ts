import {
  CONFIRM_EVERY,
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
import { BroadcastOperator } from './broadcast.js'
import type { HistoryStore, MaybePromise } from './history.js'
import { runMiddleware } from './internal/compose.js'
import { isThenable } from './internal/is-thenable.js'
import { allOf, chain } from './internal/maybe-promise.js'
import { flatDelete, flatGet, flatSet, type FlatMap } from './internal/flat-map.js'
import { ResumableSession, type PendingResume } from './internal/resumable-session.js'
import { historyPageText } from './internal/history-page.js'
import { entryBytes, reached, replay, type Replay } from './internal/replay.js'
import { toErrorPayload } from './internal/to-error-payload.js'
import type { ChannelAction, EventMiddleware, Handshake, IncomingEvent } from './options.js'
import type { JoinReason, LeaveReason } from './plugin.js'
import type { ConnectionLimiter } from './rate-limit.js'

/** Messages a `hist` frame gets when it names no limit. */
const DEFAULT_HISTORY_LIMIT = 100

/** What a subscription answers, and the last offset of the channel that answer accounts for. */
interface Recovery {
  readonly result: SubscribeResult
  readonly through: number
}

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
  join(conn: Connection<TData>, room: string, reason: JoinReason): void
  leave(conn: Connection<TData>, room: string, reason: LeaveReason): void
  /** Whether some plugin guards subscriptions (or unsubscriptions). */
  guards(hook: 'beforeSubscribe' | 'beforeUnsubscribe'): boolean
  /** Runs the plugins' `beforeSubscribe` (or `beforeUnsubscribe`); rejects with the refusal. */
  guard(hook: 'beforeSubscribe' | 'beforeUnsubscribe', conn: Connection<TData>, channel: string): Promise<void>
  /** Tells the plugins a client subscribed to (or unsubscribed from) `channel`. */
  subscribed(hook: 'afterSubscribe' | 'afterUnsubscribe', conn: Connection<TData>, channel: string): void
  broadcast(packet: BroadcastPacket): MaybePromise<readonly number[]>
  authorize(conn: Connection<TData>, channel: string, action: ChannelAction): Promise<ErrorPayload | undefined>
  /** Checks fresh credentials; updates `data` and `expiresAt`, or throws. */
  reauthenticate(conn: Connection<TData>, auth: unknown): Promise<void>
  /** Sessions kept after a drop: how many unconfirmed frames each keeps; undefined with `recovery: false`. */
  readonly sessionFrames: number | undefined
  /** How many bytes of unconfirmed frames each session keeps (`recovery.sessionBytes`). */
  readonly sessionBytes?: number
  /** The client sent a frame after its welcome, so it holds the token that welcome carried. */
  tokenReceived(conn: Connection<TData>): void
  /** The history of `room` (the adapter's, or a plugin's), when the server keeps one. */
  history(room: string): HistoryStore | undefined
  /** Most bytes of missed messages one resubscription or resume replays (`recovery.replayBytes`). */
  readonly replayBytes: number
  /** Most bytes of messages one history page carries (`recovery.historyPageBytes`). */
  readonly historyPageBytes: number
  /** The transport dropped (`info`), `goneForMs` ago, and the session waits for its client to resume it. */
  detached(conn: Connection<TData>, info: DisconnectInfo, goneForMs: number): void
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
  /** Live messages held back per room while a replay of it is read: offset and frame in turn. */
  #held: Map<string, Array<number | string>> | undefined
  #heldBytes = 0
  /** Resumes asked for so far: only the latest may complete. */
  #resumeAttempts = 0
  /** The last offset a replay (and what was held during it) sent per room, until a later live message comes. */
  #replayed: Map<string, number> | undefined
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

  /**
   * Adds this connection to `room`. A detached session joins too: it receives what the room got
   * meanwhile once its client resumes it.
   */
  join(room: string): void {
    this.#join(room, 'join')
  }

  /** Removes this connection from `room`. */
  leave(room: string): void {
    this.#leave(room, 'leave')
  }

  #join(room: string, reason: JoinReason): void {
    if (this.#state === 'closed' || this.#rooms.has(room)) return
    this.#rooms.add(room)
    const history = this.#host.history(room)
    const session = this.#session
    // Where the room stood at the join, for a resume: known once the history answers.
    if (history !== undefined && session !== undefined) {
      void chain(history.position(room), (position) => {
        if (this.#rooms.has(room) && session.joinedAt(room) === undefined) session.joined(room, position)
      })
    }
    this.#host.join(this, room, reason)
  }

  #leave(room: string, reason: LeaveReason): void {
    if (!this.#rooms.delete(room)) return
    this.#replayed?.delete(room)
    this.#session?.left(room)
    this.#host.leave(this, room, reason)
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
   * @throws RealtimeError `INVALID_PAYLOAD`.
   */
  emit(event: string, data?: unknown): void {
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
   * @internal Checks a client's request to resume this session, given the channel history now,
   * and reads what each room missed before anything changes (the rooms' live messages wait
   * meanwhile). Returns why it cannot be resumed, or stores what to send for {@link resume}.
   */
  prepareResume(request: ResumeRequest, handshake: Handshake): MaybePromise<ErrorPayload | undefined> {
    const session = this.#session
    if (session === undefined || this.#state === 'closed') return { code: ErrorCode.UnknownSession, message: 'No session to resume under this token' }
    // A resume prepared earlier whose welcome never went out.
    this.#releaseAll()
    session.pendingResume = undefined
    const attempt = ++this.#resumeAttempts
    return chain(session.prepare(request, handshake, this.#rooms, (room) => this.#host.history(room)), (prepared) => {
      if ('code' in prepared) return prepared
      // A later attempt of the same client (this one's connection was given up) goes on instead.
      if (attempt !== this.#resumeAttempts) throw new RealtimeError(ErrorCode.UnknownSession, 'A later resume of this session took over')
      for (const room of prepared.since.keys()) this.#hold(room)
      const readAll = (): MaybePromise<undefined> =>
        chain(this.#readReplays(prepared), () => {
          if (attempt !== this.#resumeAttempts) throw new RealtimeError(ErrorCode.UnknownSession, 'A later resume of this session took over')
          session.pendingResume = prepared
          return undefined
        })
      try {
        const read = readAll()
        if (!isThenable(read)) return read
        return Promise.resolve(read).catch((error: unknown) => {
          if (attempt === this.#resumeAttempts) this.#releaseAll()
          throw error
        })
      } catch (error) {
        this.#releaseAll()
        throw error
      }
    })
  }

  /**
   * @internal Attaches the session to the socket of the client that resumed it and sends, in one
   * go: `welcome`, the frames to the session the client missed, each room's missed messages, then
   * the rooms' live messages that came while those were read. Returns false when the session
   * ended in the meantime.
   */
  resume(socket: ServerSocket, welcome: (lost: readonly string[]) => string): boolean {
    const session = this.#session
    const pending = session?.pendingResume
    if (session === undefined || pending === undefined) return false
    session.pendingResume = undefined
    const frames = this.#state === 'closed' ? undefined : session.stream.after(pending.request.s)
    if (frames === undefined) {
      this.#releaseAll()
      return false
    }
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
    socket.send(welcome(pending.lost))
    session.tokenUnproven = true
    for (const frame of frames) socket.send(frame)
    for (const frame of pending.replays) socket.send(frame)
    for (const [room, through] of pending.through) this.#release(room, through)
    this.#releaseAll()
    return true
  }

  /**
   * Reads what each room of `pending.since` missed, within `replayBytes` in all and the
   * connection's byte budget, into `pending`; a room whose missed messages are gone or do not fit
   * goes in `lost`, and its held live messages are all sent after the welcome.
   */
  #readReplays(pending: PendingResume): MaybePromise<void> {
    const rooms = [...pending.since]
    const reads = rooms.map(([room, offset]) => replay(this.#host.history(room) as HistoryStore, room, offset, this, this.#host.replayBytes))
    return chain(allOf(reads), (replays) => {
      let budget = this.#host.replayBytes
      replays.forEach((missed, index) => {
        const room = (rooms[index] as [string, number])[0]
        if (missed.complete && missed.bytes <= budget && this.#chargeReplay(missed) === undefined) {
          budget -= missed.bytes
          pending.replays.push(...missed.frames)
          pending.through.set(room, missed.through)
        } else pending.lost.push(room)
      })
    })
  }

  /**
   * @internal Delivers a frame of `room` at `offset`: held back while what the client missed of the
   * room is read, and dropped when a replay already sent it (a networked store may deliver a
   * message after the replay that holds it was read).
   */
  deliverFrame(room: string, offset: number | undefined, frame: string): void {
    if (offset !== undefined && this.#replayed !== undefined && this.#alreadyReplayed(room, offset)) return
    const held = this.#held?.get(room)
    if (held === undefined || offset === undefined) return this.sendEncoded(frame)
    held.push(offset, frame)
    this.#heldBytes += frame.length
    if (this.#heldBytes > this.#host.maxBufferedBytes) this.#dropSlowConsumer()
  }

  /** Holds back the live messages of `room` until {@link #release}. */
  #hold(room: string): void {
    const held = (this.#held ??= new Map())
    if (!held.has(room)) held.set(room, [])
  }

  /**
   * Sends the messages of `room` held back after offset `through`, and stops holding it. Messages
   * up to `through` that are delivered later are dropped, until one after it comes.
   */
  #release(room: string, through: number): void {
    const held = this.#held?.get(room)
    if (held === undefined) return
    this.#held?.delete(room)
    if (this.#held?.size === 0) this.#held = undefined
    let sent = through
    for (let index = 0; index < held.length; index += 2) {
      const frame = held[index + 1] as string
      const offset = held[index] as number
      this.#heldBytes -= frame.length
      if (offset > sent) {
        this.sendEncoded(frame)
        sent = offset
      }
    }
    if (Number.isFinite(sent) && sent >= 0) (this.#replayed ??= new Map()).set(room, sent)
  }

  /** Whether a replay of `room` already sent the message at `offset`; forgets the room once past it. */
  #alreadyReplayed(room: string, offset: number): boolean {
    const replayed = this.#replayed as Map<string, number>
    const through = replayed.get(room)
    if (through === undefined) return false
    if (offset <= through) return true
    replayed.delete(room)
    if (replayed.size === 0) this.#replayed = undefined
    return false
  }

  /** Stops holding every room, sending what was held. */
  #releaseAll(): void {
    for (const room of [...(this.#held?.keys() ?? [])]) this.#release(room, -1)
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

  /**
   * The transport is gone but the session stays, in its rooms: what they get meanwhile is not sent
   * (`sendEncoded` drops it) but replayed from their history when the client resumes. Frames to
   * the session itself are kept.
   */
  #detach(info: DisconnectInfo): void {
    // Only a session that can be resumed is detached.
    const session = this.#session as ResumableSession
    // An HTTP session reports its drop after waiting for its client: the window counts from the drop.
    const goneForMs = this.#socket?.goneForMs ?? 0
    this.#state = 'detached'
    this.#socket = undefined
    session.dropInfo = info
    this.#host.detached(this, info, goneForMs)
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
    this.#held = this.#replayed = undefined
    this.#heldBytes = 0
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
    for (const room of this.#rooms) this.#host.leave(this, room, 'disconnect')
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
        this.#unsubscribe(frame.id, frame.ch)
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
    await this.#host.broadcast({ event: incoming.event, json: encodeData(incoming.data), rooms: [channel], except: [this.id] })
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
        const refusal = (await this.#host.authorize(this, channel, 'subscribe')) ?? (await this.#pluginsAllow('beforeSubscribe', channel))
        if (refusal !== undefined) return { ch: channel, err: refusal }
        if (!this.#rooms.has(channel) && this.#rooms.size >= this.#host.subscriptionsPerConnection) {
          const limit = this.#host.subscriptionsPerConnection
          return { ch: channel, err: { code: ErrorCode.LimitExceeded, message: `A connection may be in at most ${limit} rooms` } }
        }
        const result = await this.#joinFrom(channel, since !== undefined && Object.hasOwn(since, channel) ? since[channel] : undefined, budget)
        if (this.#rooms.has(channel)) this.#host.subscribed('afterSubscribe', this, channel)
        return result
      }),
    )
    this.#send({ t: 'ack', id, d: results })
  }

  /** Why a plugin refuses `hook` for `channel`, or undefined when every plugin allows it (or none guards it). */
  async #pluginsAllow(hook: 'beforeSubscribe' | 'beforeUnsubscribe', channel: string): Promise<ErrorPayload | undefined> {
    if (!this.#host.guards(hook)) return undefined
    try {
      await this.#host.guard(hook, this, channel)
      return undefined
    } catch (error) {
      return toErrorPayload(error)
    }
  }

  /**
   * Leaves the channels of an `unsub` frame it is in, and answers it. At once when no plugin guards
   * unsubscriptions; otherwise each asks the plugins first, and the answer carries the first
   * refusal (the refused channels stay subscribed).
   */
  #unsubscribe(id: number | undefined, channels: readonly string[]): void {
    const leaving = channels.filter((channel) => this.#rooms.has(channel))
    const answer = (err: ErrorPayload | undefined): void => {
      if (id !== undefined) this.#send(err === undefined ? { t: 'ack', id } : { t: 'ack', id, err })
      else if (err !== undefined) this.#sendError(err)
    }
    const unsubscribed = (channel: string): void => {
      this.#leave(channel, 'unsubscribe')
      this.#host.subscribed('afterUnsubscribe', this, channel)
    }
    if (!this.#host.guards('beforeUnsubscribe')) {
      for (const channel of leaving) unsubscribed(channel)
      return answer(undefined)
    }
    const guarded = async (): Promise<void> => {
      let refused: ErrorPayload | undefined
      for (const channel of leaving) {
        const refusal = await this.#pluginsAllow('beforeUnsubscribe', channel)
        if (refusal === undefined) unsubscribed(channel)
        else refused ??= refusal
      }
      answer(refused)
    }
    this.#answerLater(guarded(), id)
  }

  /**
   * Joins `channel` and, when the client says where it left it, sends what it missed before any
   * live message: with a history that answers at once both happen in this one turn; with one that
   * answers later the channel's live messages are held back meanwhile, and those the replay
   * already holds are dropped, so nothing falls between them and nothing comes twice. What it
   * missed is replayed only when it fits in `budget` and the connection's byte budget; otherwise
   * the client is told `recovered: false`, with the reason, and refetches. If reading the history
   * fails, the channel is left again and the failure answered.
   */
  #joinFrom(channel: string, since: ChannelPosition | undefined, budget: { bytes: number }): MaybePromise<SubscribeResult> {
    const history = this.#host.history(channel)
    const alreadyIn = this.#rooms.has(channel)
    const replaying = history !== undefined && since !== undefined && !alreadyIn
    if (replaying) this.#hold(channel)
    this.#join(channel, 'subscribe')
    if (history === undefined) return { ch: channel }
    let recovered: MaybePromise<Recovery>
    try {
      recovered = chain(history.position(channel), (position) => this.#recover(history, channel, position, alreadyIn ? undefined : since, alreadyIn, budget))
    } catch (error) {
      recovered = Promise.reject(error)
    }
    const settle = ({ result, through }: Recovery): SubscribeResult => {
      this.#release(channel, through)
      return result
    }
    if (!isThenable(recovered)) return settle(recovered)
    return Promise.resolve(recovered).then(settle, (error: unknown) => {
      this.#release(channel, Infinity)
      if (replaying) this.#leave(channel, 'leave')
      throw error
    })
  }

  /**
   * What to answer a subscription to `channel`, whose history stands at `position`, and replays
   * what the client missed since `since`: the answer, and the last offset it accounts for (live
   * messages after it are still to be sent).
   */
  #recover(history: HistoryStore, channel: string, position: ChannelPosition, since: ChannelPosition | undefined, alreadyIn: boolean, budget: { bytes: number }): MaybePromise<Recovery> {
    const notRecovered = (reason?: ErrorPayload): Recovery => ({
      result: { ch: channel, ...position, recovered: false, ...(reason === undefined ? {} : { reason }) },
      through: position.offset,
    })
    if (since === undefined) return { result: { ch: channel, ...position, recovered: alreadyIn }, through: position.offset }
    if (since.epoch === position.epoch && since.offset > position.offset) {
      return notRecovered({ code: ErrorCode.InvalidOffset, message: `Offset ${since.offset} is ahead of the channel (${position.offset})` })
    }
    // A connection being closed gets nothing more: a replay stops with it.
    if (since.epoch !== position.epoch || this.#closeIntent !== undefined || this.#state !== 'open') return notRecovered()
    return chain(replay(history, channel, since.offset, this, budget.bytes), (missed): Recovery => {
      const refusal = missed.tooLarge ? tooLargeToReplay(this.#host.replayBytes) : missed.complete ? this.#chargeReplay(missed) : undefined
      if (!missed.complete || refusal !== undefined) return notRecovered(refusal)
      budget.bytes -= missed.bytes
      for (const frame of missed.frames) this.sendEncoded(frame)
      return { result: { ch: channel, epoch: position.epoch, offset: since.offset, recovered: true }, through: missed.through }
    })
  }

  /**
   * Answers a `hist` frame with the channel's kept messages, as the connection would have received
   * them: at most `limit` messages and `historyPageBytes` bytes (at least one message), charged
   * against the connection's byte budget. A channel with no history is reported empty, with an
   * empty epoch, and gets none started.
   */
  async #readHistory(frame: HistoryFrame): Promise<void> {
    const refusal = await this.#host.authorize(this, frame.ch, 'subscribe')
    const history = this.#host.history(frame.ch)
    if (refusal !== undefined || history === undefined) {
      const err = refusal ?? { code: ErrorCode.Forbidden, message: 'This server keeps no channel history' }
      return this.#send({ t: 'ack', id: frame.id, err })
    }
    const position = (await history.peek(frame.ch)) ?? { epoch: '', offset: 0 }
    const since = Math.min(frame.since ?? 0, position.offset)
    const limits = { limit: frame.limit ?? DEFAULT_HISTORY_LIMIT, maxBytes: this.#host.historyPageBytes }
    const { entries, complete } = await history.after(frame.ch, since, limits)
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
