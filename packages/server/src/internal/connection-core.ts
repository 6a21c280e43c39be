import {
  CloseCode,
  ErrorCode,
  RealtimeError,
  encodeFrame,
  type ErrorPayload,
  type Logger,
  type PendingAcks,
  type ServerFrame,
  type ServerSocket,
} from '@org/realtime-core'
import type { BroadcastPacket } from '../adapter.js'
import type { HistoryStore, MaybePromise } from '../history.js'
import type { ConnectionLimiter } from '../rate-limit.js'
import type { ChannelAction, DisconnectInfo, EventHandler, Handshake, JoinReason, LeaveReason } from '../types.js'
import type { FlatMap } from './flat-map.js'
import type { HoldBack } from './hold-back.js'
import { chain } from './maybe-promise.js'
import { ResumableSession } from './resumable-session.js'
import { RoomSet } from './room-set.js'
import { toErrorPayload } from './to-error-payload.js'

/** What a connection needs from its server; `TConn` is the public face the server hands out. */
export interface ConnectionHost<TConn extends { readonly id: string }> {
  readonly ackTimeoutMs: number
  readonly maxBufferedBytes: number
  readonly closeTimeoutMs: number
  /** Rooms a connection may be in when it subscribes to one more; Infinity without limits. */
  readonly subscriptionsPerConnection: number
  /** The budgets of a new connection, or undefined when limits are off. */
  limiter(): ConnectionLimiter | undefined
  readonly logger: Logger
  /** `core` joined `room` (the room registry holds cores: a delivery touches no other object). */
  join(core: ConnectionCore<TConn>, room: string, reason: JoinReason): void
  leave(core: ConnectionCore<TConn>, room: string, reason: LeaveReason): void
  /** Whether some plugin guards subscriptions (or unsubscriptions). */
  guards(hook: 'beforeSubscribe' | 'beforeUnsubscribe'): boolean
  /** Runs the plugins' `beforeSubscribe` (or `beforeUnsubscribe`); rejects with the refusal. */
  guard(hook: 'beforeSubscribe' | 'beforeUnsubscribe', conn: TConn, channel: string): Promise<void>
  /** Tells the plugins a client subscribed to (or unsubscribed from) `channel`. */
  subscribed(hook: 'afterSubscribe' | 'afterUnsubscribe', conn: TConn, channel: string): void
  broadcast(packet: BroadcastPacket): MaybePromise<readonly number[]>
  authorize(conn: TConn, channel: string, action: ChannelAction): Promise<ErrorPayload | undefined>
  /** Checks fresh credentials; updates `data` and `expiresAt`, or throws. */
  reauthenticate(conn: TConn, auth: unknown): Promise<void>
  /** Sessions kept after a drop: how many unconfirmed frames each keeps; undefined with `recovery: false`. */
  readonly sessionFrames: number | undefined
  /** How many bytes of unconfirmed frames each session keeps (`recovery.sessionBytes`). */
  readonly sessionBytes?: number
  /** The client sent a frame after its welcome, so it holds the token that welcome carried. */
  tokenReceived(core: ConnectionCore<TConn>): void
  /** The history of `room` (the adapter's, or a plugin's), when the server keeps one. */
  history(room: string): HistoryStore | undefined
  /** Most bytes of missed messages one resubscription or resume replays (`recovery.replayBytes`). */
  readonly replayBytes: number
  /** Most bytes of messages one history page carries (`recovery.historyPageBytes`). */
  readonly historyPageBytes: number
  /** The transport dropped (`info`), `goneForMs` ago, and the session waits for its client to resume it. */
  detached(conn: TConn, info: DisconnectInfo, goneForMs: number): void
  removed(conn: TConn, info: DisconnectInfo): void
  /** The session moved to another node: it no longer lives here, and did not end. */
  moved(conn: TConn): void
}

/**
 * The state of one connection, and what changes it: its socket and session's lifecycle (open,
 * detached, closed), sending, and its rooms. Not exported from the package: the public
 * `Connection` is its face (`conn`), and the server's internal modules (inbound frames, channel
 * operations, resumes, the session registry, the heartbeat) work on this.
 */
export class ConnectionCore<TConn extends { readonly id: string }> {
  /** The public face handed to the app; set right after both are made. */
  conn!: TConn
  readonly host: ConnectionHost<TConn>
  socket: ServerSocket | undefined
  handshake: Handshake
  state: 'open' | 'detached' | 'closed' = 'open'
  /** The close this side asked for, if it did. */
  closeIntent: DisconnectInfo | undefined
  /** Frames sent before the welcome (by connection middleware), held so the welcome goes first. */
  early: string[] | undefined = []
  /** Last time (ms since epoch) any frame arrived. */
  lastSeen = Date.now()
  /** When the last heartbeat was sent (the connection's start before the first). */
  lastPingAt = this.lastSeen
  /** When the unanswered heartbeat was sent, or 0. */
  pingSentAt = 0
  /** When the connection's credentials expire (ms since the epoch), if they do. */
  expiresAt: number | undefined
  readonly rooms = new RoomSet()
  /** Event name and handler in turn: connections have a few, and a Map of them costs ~180 bytes. */
  handlers: FlatMap<EventHandler> | undefined
  acks: PendingAcks | undefined
  onDisconnect: Array<(info: DisconnectInfo) => unknown> | undefined
  readonly limiter: ConnectionLimiter | undefined
  /** What the session keeps so that its client can resume it; present when it can be. */
  readonly session: ResumableSession | undefined
  /** Live messages held back for a replay, while one runs or just ran. */
  holdBack: HoldBack | undefined
  /** Why a requested resume failed: sent in the welcome of the fresh session. */
  resumeError: ErrorPayload | undefined
  /** Whether the session moved here from another node (announced with `connection` when resumed). */
  movedIn = false
  /**
   * Whether the server announced the connection (its `connection` event): only such a connection
   * gets `join`, `leave` and `disconnect` events. Set by the server.
   */
  announced = false

  constructor(socket: ServerSocket, handshake: Handshake, host: ConnectionHost<TConn>, recoverable: boolean) {
    this.socket = socket
    this.handshake = handshake
    this.host = host
    this.limiter = host.limiter()
    if (recoverable && host.sessionFrames !== undefined) this.session = new ResumableSession(host.sessionFrames, host.sessionBytes)
  }

  /** The session's id, for logs. */
  get id(): string {
    return this.conn.id
  }

  /** Whether the session can be resumed by its client after a drop. */
  get resumable(): boolean {
    return this.session !== undefined && !this.session.overflowed
  }

  /** Adds the connection to `room`, noting where the room's history stood for a resume. */
  join(room: string, reason: JoinReason): void {
    if (this.state === 'closed' || this.rooms.has(room)) return
    this.rooms.add(room)
    const history = this.host.history(room)
    const session = this.session
    // Where the room stood at the join, for a resume: known once the history answers.
    if (history !== undefined && session !== undefined) {
      try {
        const noted = chain(history.position(room), (position) => {
          if (this.rooms.has(room) && session.joinedAt(room) === undefined) session.joined(room, position)
        })
        // Without the position a resume cannot replay this room: it is then reported lost.
        if (noted instanceof Promise) noted.catch((error: unknown) => this.host.logger.warn('history position of a joined room failed', { error, room }))
      } catch (error) {
        this.host.logger.warn('history position of a joined room failed', { error, room })
      }
    }
    this.host.join(this, room, reason)
  }

  leave(room: string, reason: LeaveReason): void {
    if (!this.rooms.delete(room)) return
    this.holdBack?.forget(room)
    this.session?.left(room)
    this.host.leave(this, room, reason)
  }

  /**
   * Closes the connection and ends its session; a detached one ends at once.
   */
  disconnect(code: number, reason: string): void {
    if (this.state === 'detached') this.end({ code, reason })
    if (this.state !== 'open') return
    this.closeIntent ??= { code, reason }
    this.socket?.close(code, reason)
  }

  /** Drops the transport at once, as a dead network would. */
  terminate(): void {
    if (this.state === 'open') this.socket?.terminate()
  }

  /**
   * Sends an already encoded frame; dropped unless the connection is open, and once this side
   * closed it (a slow consumer cut off, a refused client): nothing more is queued for it.
   */
  sendEncoded(frame: string): void {
    if (this.state !== 'open' || this.closeIntent !== undefined) return
    if (this.early !== undefined) {
      this.early.push(frame)
      return
    }
    const socket = this.socket as ServerSocket
    socket.send(frame)
    if (socket.bufferedAmount > this.host.maxBufferedBytes) this.dropSlowConsumer()
  }

  /**
   * Delivers a frame of `room` at `offset`: held back while what the client missed of the room is
   * read, and dropped when a replay already sent it (a networked store may deliver a message
   * after the replay that holds it was read).
   */
  deliverFrame(room: string, offset: number | undefined, frame: string): void {
    const holdBack = this.holdBack
    if (holdBack === undefined || offset === undefined) return this.sendEncoded(frame)
    if (!holdBack.keep(room, offset, frame)) {
      if (holdBack.idle) this.holdBack = undefined
      return this.sendEncoded(frame)
    }
    if (holdBack.bytes > this.host.maxBufferedBytes) this.dropSlowConsumer()
  }

  send(frame: ServerFrame): void {
    this.sendEncoded(encodeFrame(frame))
  }

  sendError(error: ErrorPayload): void {
    this.send({ t: 'error', ...error })
  }

  /** Sends a frame the session must deliver even across a reconnect: numbered and kept until confirmed. */
  sendReliably(frame: ServerFrame): void {
    const session = this.session
    if (session === undefined) return this.send(frame)
    if (this.state === 'closed') return
    const encoded = session.stream.add(frame)
    if (this.state === 'open') this.sendEncoded(encoded)
    // Detached, and more missed than a resume may replay: the session cannot be resumed any more.
    else if (session.stream.overflowed) this.end(session.dropInfo as DisconnectInfo)
  }

  /** The client does not read what it is sent: close, and cut it off if it cannot even take that. */
  dropSlowConsumer(): void {
    this.host.logger.warn('slow consumer disconnected', { connection: this.id, bufferedAmount: this.socket?.bufferedAmount })
    this.disconnect(CloseCode.SlowConsumer, ErrorCode.SlowConsumer)
    const timer = setTimeout(() => this.terminate(), this.host.closeTimeoutMs)
    ;(this.onDisconnect ??= []).push(() => clearTimeout(timer))
  }

  /** Sends the welcome (its token issued by the session registry), then what was sent during the handshake. */
  welcome(frame: string): void {
    const socket = this.socket as ServerSocket
    const early = this.early ?? []
    this.early = undefined
    socket.send(frame)
    for (const held of early) socket.send(held)
  }

  /** Answers a request; the answer to a numbered frame is numbered too, so a resume can send it again. */
  answer(frame: ServerFrame, numbered: boolean): void {
    if (numbered) this.sendReliably(frame)
    else this.send(frame)
  }

  /**
   * Answers a frame a limit refused (as an error, or as the answer to request `id`), and closes a
   * connection that keeps pushing.
   */
  refuse(refusal: ErrorPayload, id: number | undefined, numbered: boolean): void {
    if (id === undefined) this.sendError(refusal)
    else this.answer({ t: 'ack', id, err: refusal }, numbered)
    if (this.limiter?.abusive() === true) this.disconnect(CloseCode.RateLimited, ErrorCode.RateLimited)
  }

  /**
   * Runs a request answered later (`sub`, `hist`, `auth`, an event through middleware). A failure
   * nobody expected is logged and answered as `HANDLER_ERROR`: it never becomes an unhandled
   * rejection, which would end the process.
   */
  answerLater(request: Promise<void>, id: number | undefined): void {
    request.catch((error: unknown) => {
      this.host.logger.error('request failed', { error, connection: this.id })
      if (id !== undefined) this.send({ t: 'ack', id, err: toErrorPayload(error) })
    })
  }

  /** The credentials expired without renewal: close with 4401. */
  expire(): void {
    if (this.closeIntent !== undefined) return
    this.sendError({ code: ErrorCode.Unauthorized, message: 'The session expired' })
    this.disconnect(CloseCode.Unauthorized, 'SESSION_EXPIRED')
  }

  /**
   * The transport reported the connection gone. A session the client can resume waits for it,
   * unless either side closed on purpose; otherwise it ends.
   */
  closed(reported: DisconnectInfo, socket?: ServerSocket): void {
    if (this.state !== 'open' || (socket !== undefined && socket !== this.socket)) return
    const deliberate = this.closeIntent !== undefined || reported.code === CloseCode.Normal || reported.code === CloseCode.GoingAway
    if (this.resumable && !deliberate && this.early === undefined) this.#detach(reported)
    else this.end(reported)
  }

  /**
   * The transport is gone but the session stays, in its rooms: what they get meanwhile is not sent
   * (`sendEncoded` drops it) but replayed from their history when the client resumes. Frames to
   * the session itself are kept.
   */
  #detach(info: DisconnectInfo): void {
    // Only a session that can be resumed is detached.
    const session = this.session as ResumableSession
    // An HTTP session reports its drop after waiting for its client: the window counts from the drop.
    const goneForMs = this.socket?.goneForMs ?? 0
    this.state = 'detached'
    this.socket = undefined
    session.dropInfo = info
    this.host.detached(this.conn, info, goneForMs)
  }

  /** The session was not resumed in time. */
  expireSession(): void {
    if (this.state === 'detached') this.end(this.session?.dropInfo as DisconnectInfo)
  }

  /**
   * The session moves to another node, where its client resumed it: it leaves this node without
   * ending (no `disconnect`), its rooms with reason `'moved'`; an open socket is dropped.
   */
  moveAway(): void {
    const socket = this.state === 'open' ? this.socket : undefined
    this.state = 'closed'
    this.socket = undefined
    this.holdBack = undefined
    socket?.terminate()
    this.acks?.rejectAll(new RealtimeError(ErrorCode.Disconnected, 'The session moved to another node before the client answered'))
    for (const room of this.rooms) this.host.leave(this, room, 'moved')
    this.rooms.clear()
    this.host.moved(this.conn)
  }

  /**
   * The session ends. `disconnect` listeners run while `rooms` still lists the rooms the
   * connection was in; it leaves them afterwards.
   */
  end(reported: DisconnectInfo): void {
    this.state = 'closed'
    this.socket = undefined
    this.holdBack = undefined
    // A peer that never answered our close is cut off (1006): report why we closed it.
    const info = reported.code === CloseCode.Abnormal && this.closeIntent !== undefined ? this.closeIntent : reported
    this.acks?.rejectAll(new RealtimeError(ErrorCode.Disconnected, 'The connection closed before the client answered'))
    this.host.removed(this.conn, info)
    for (const listener of this.onDisconnect ?? []) {
      try {
        const returned = listener(info)
        // An async listener's rejection is logged like a throw.
        if (returned instanceof Promise) returned.catch((error: unknown) => this.host.logger.error('disconnect listener threw', { error, connection: this.id }))
      } catch (error) {
        this.host.logger.error('disconnect listener threw', { error, connection: this.id })
      }
    }
    for (const room of this.rooms) this.host.leave(this, room, 'disconnect')
    this.rooms.clear()
  }
}
