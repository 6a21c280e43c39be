import {
  CloseCode,
  ErrorCode,
  MAX_CHANNELS_PER_FRAME,
  PROTOCOL_VERSION,
  PendingAcks,
  RESERVED_EVENTS,
  RealtimeError,
  backoffDelay,
  encodeFrame,
  errorCodeForClose,
  isFinalCloseCode,
  isRealtimeError,
  isValidName,
  type ClientFrame,
  type ClientSocket,
  type ClientTransport,
  type ErrorPayload,
  type EventFrame,
  type HistoryPage,
  type SubscribeResult,
  type TransportName,
  type WelcomeFrame,
} from '@org/realtime-core'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import { Channel, type ChannelHost } from './channel.js'
import { HeartbeatWatch } from './internal/heartbeat-watch.js'
import { Listeners, type FirstOutcome, type Listener } from './internal/listeners.js'
import { isBuiltInTransport, loadTransport, type BuiltInTransportName } from './internal/load-transport.js'
import { parseServerFrame } from './internal/parse-server-frame.js'
import { Positions } from './internal/positions.js'
import { OfflineQueue } from './offline-queue.js'
import type { ClientLifecycleEvents, ClientState, DisconnectReason } from './events.js'
import type { RealtimeClientOptions, ReconnectionOptions } from './options.js'

/** Numbered frames from the server are confirmed with a `rcv` frame after this many. */
const CONFIRM_EVERY = 32

/** Room a numbered frame needs for its `"s":<n>,` field. */
const SEQUENCE_FIELD_BYTES = 22

/** A numbered frame sent and not yet confirmed by the server. */
interface SentFrame {
  readonly s: number
  readonly encoded: string
  readonly ackId: number | undefined
}

/**
 * The realtime client, for browsers and Node.js.
 *
 * @example
 * const client = new RealtimeClient('http://localhost:3000/realtime', { auth: { token } })
 * client.on('new-message', (msg) => render(msg))
 * await client.emitWithAck('send-message', { text: 'hi' })
 */
export class RealtimeClient {
  /** The server URL, `http(s)://host/path`. */
  readonly url: string
  readonly #transports: Array<ClientTransport | BuiltInTransportName>
  readonly #reconnection: ReconnectionOptions | false
  readonly #connectTimeoutMs: number
  readonly #ackTimeoutMs: number
  readonly #auth: unknown
  readonly #listeners = new Listeners()
  readonly #channels = new Map<string, Channel>()
  readonly #queue: OfflineQueue
  readonly #acks = new PendingAcks()
  readonly #heartbeat = new HeartbeatWatch(() => this.#drop('heartbeat-timeout'))
  readonly #channelHost: ChannelHost
  /** Renews the credentials before they expire. */
  #renewal: ReturnType<typeof setTimeout> | undefined
  /** Set while the server's rate limit asks the client to hold its frames. */
  #pause: ReturnType<typeof setTimeout> | undefined
  /** Channels whose subscription goes out at the end of this tick. */
  readonly #toSubscribe: Channel[] = []
  #state: ClientState = 'idle'
  #socket: ClientSocket | undefined
  #transportIndex = 0
  /** Whether the current socket reached `open`. */
  #opened = false
  #sessionId: string | undefined
  #maxPayload = 1_048_576
  #attempt = 0
  /** Counts calls of `#open`, so a transport that finishes loading late opens nothing. */
  #attempts = 0
  #everConnected = false
  /** Why this client dropped the current socket itself, if it did. */
  #dropReason: DisconnectReason | undefined
  /** The server's error frame for the current socket, if it sent one. */
  #serverError: ErrorPayload | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  /** The secret that resumes the session after a drop; undefined when the server keeps no sessions. */
  #token: string | undefined
  /** Last sequence number sent; last received; received since the last `rcv`. */
  #sentSeq = 0
  #receivedSeq = 0
  #unconfirmedIn = 0
  /** Numbered frames the server has not confirmed yet, oldest first: sent again after a resume. */
  #unconfirmed: SentFrame[] = []
  /** Acknowledgements awaited for numbered frames: a resumed session answers them, however long after. */
  readonly #numberedAcks = new Set<number>()
  readonly #positions = new Positions()
  /** Channels left while disconnected that the dropped session still holds. */
  readonly #toUnsubscribe = new Set<string>()

  constructor(url: string, options: RealtimeClientOptions = {}) {
    this.url = url
    this.#transports = [...(options.transports ?? [webSocketTransport()])]
    for (const entry of this.#transports) {
      if (typeof entry === 'string' && !isBuiltInTransport(entry)) throw new RealtimeError(ErrorCode.TransportError, `Unknown transport "${entry}"`)
    }
    // `backoffDelay` has the delays' defaults, `#scheduleReconnect` the attempts'.
    this.#reconnection = options.reconnection ?? {}
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 10_000
    this.#auth = options.auth
    this.#queue = new OfflineQueue(options.offlineQueue)
    this.#channelHost = {
      requestSubscribe: (channel) => {
        if (this.#state !== 'connected') return
        // Subscriptions asked for in the same tick go in one frame, authorized in one round trip.
        if (this.#toSubscribe.length === 0) queueMicrotask(() => this.#subscribeAll(this.#toSubscribe.splice(0)))
        this.#toSubscribe.push(channel)
      },
      requestUnsubscribe: (channel, held) => {
        this.#positions.forget(channel.name)
        if (this.#state === 'connected') this.#send({ t: 'unsub', ch: [channel.name] })
        else if (held) this.#toUnsubscribe.add(channel.name)
      },
      publish: (channel, event, data, timeoutMs) => this.#submit({ t: 'pub', ch: channel, e: checkName(event), d: data }, event, timeoutMs),
      history: (channel, { since, limit }) => this.#submit({ t: 'hist', ch: channel, since, limit } as ClientFrame, 'history', undefined) as Promise<HistoryPage>,
      offset: (channel) => this.#positions.offset(channel),
    }
    if (options.autoConnect !== false) this.connect()
  }

  /** Where the client stands. */
  get state(): ClientState {
    return this.#state
  }

  /** Whether the handshake is done and frames go out at once. */
  get connected(): boolean {
    return this.#state === 'connected'
  }

  /** Session id given by the server, once connected. */
  get id(): string | undefined {
    return this.#sessionId
  }

  /** Name of the transport in use or being tried. */
  get transport(): TransportName | undefined {
    const entry = this.#transports[this.#transportIndex]
    return typeof entry === 'string' ? entry : entry?.name
  }

  /** Listens to a lifecycle event, or to an event sent by the server (its return value answers `emitWithAck`). */
  on<K extends keyof ClientLifecycleEvents>(event: K, listener: ClientLifecycleEvents[K]): this
  on(event: string, listener: Listener): this
  on(event: string, listener: Listener): this {
    this.#listeners.add(event, listener)
    return this
  }

  /** Removes `listener` of `event`, or all of them when `listener` is omitted. */
  off(event: string, listener?: Listener): this {
    this.#listeners.remove(event, listener)
    return this
  }

  /**
   * The channel called `name`; the same object on every call.
   * @throws RealtimeError `BAD_FRAME` for a name that is empty or longer than 256 characters.
   */
  channel(name: string): Channel {
    let channel = this.#channels.get(name)
    if (channel === undefined) {
      if (!isValidName(name)) throw new RealtimeError(ErrorCode.BadFrame, 'A channel name must have 1 to 256 characters')
      channel = new Channel(name, this.#channelHost)
      this.#channels.set(name, channel)
    }
    return channel
  }

  /** Opens the connection; called by the constructor unless `autoConnect` is false. */
  connect(): this {
    if (this.#state === 'idle' || this.#state === 'disconnected') {
      this.#attempt = 0
      this.#open()
    }
    return this
  }

  /**
   * Closes the connection for good: no reconnection, channels end unsubscribed, queued emits are
   * discarded and pending acknowledgements and subscriptions reject with `CLOSED`.
   */
  disconnect(): this {
    const wasConnected = this.#state === 'connected'
    clearTimeout(this.#timer)
    this.#heartbeat.stop()
    const socket = this.#socket
    this.#socket = undefined
    socket?.close(CloseCode.Normal, 'client disconnect')
    this.#stop(new RealtimeError(ErrorCode.Closed, 'The client was disconnected'))
    if (wasConnected) this.#emit('disconnect', { reason: 'client', code: CloseCode.Normal, willReconnect: false })
    return this
  }

  /**
   * Sends fresh credentials over the open connection: the `auth` function is called again and
   * the server's `authenticate` checks the result. The client does this by itself shortly before
   * the server's `expiresAt`; call it when the app knows the credentials changed. While not
   * connected it does nothing: the next connection sends fresh credentials anyway.
   * @throws RealtimeError `UNAUTHORIZED` when the server refuses them, `DISCONNECTED` or `TIMEOUT`.
   */
  async reauthenticate(): Promise<void> {
    if (this.#state !== 'connected') return
    const auth = await this.#credentials()
    const answer = (await this.#submit({ t: 'auth', auth } as ClientFrame, 'auth', undefined)) as { expiresAt?: number } | undefined
    this.#scheduleRenewal(answer?.expiresAt)
  }

  /** The `auth` option's value, or what its function returns. */
  async #credentials(): Promise<unknown> {
    return typeof this.#auth === 'function' ? (this.#auth as () => unknown)() : this.#auth
  }

  /** Renews the credentials 30 s before `expiresAt` (halfway for shorter lifetimes), when an `auth` function can provide fresh ones. */
  #scheduleRenewal(expiresAt: number | undefined): void {
    clearTimeout(this.#renewal)
    if (expiresAt === undefined || typeof this.#auth !== 'function') return
    const remaining = expiresAt - Date.now()
    this.#renewal = setTimeout(
      () => this.reauthenticate().catch((error: unknown) => this.#emit('error', error as RealtimeError)),
      Math.max(0, remaining - Math.min(30_000, remaining / 2)),
    )
  }

  /**
   * Sends `event` to the server, now or, while disconnected, from the offline queue.
   * @throws RealtimeError `BAD_FRAME` (invalid name), `RESERVED_EVENT`, `INVALID_PAYLOAD`,
   * `PAYLOAD_TOO_LARGE` or `QUEUE_FULL`.
   */
  emit(event: string, data?: unknown): void {
    void this.#submit({ t: 'event', e: checkName(event), d: data }, event, false)
  }

  /**
   * Sends `event` and resolves with what the server's handler returned.
   * @throws RealtimeError `TIMEOUT`, `DISCONNECTED` when the connection drops after sending,
   * `UNKNOWN_EVENT`, the error the handler threw, or any error `emit` throws.
   */
  emitWithAck<T = unknown>(event: string, data?: unknown, options: { timeoutMs?: number } = {}): Promise<T> {
    try {
      return this.#submit({ t: 'event', e: checkName(event), d: data }, event, options.timeoutMs) as Promise<T>
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Encodes and sends a frame, or queues it while disconnected; returns its ack promise unless `ackTimeoutMs` is false. */
  #submit(frame: ClientFrame & { id?: number }, label: string, ackTimeoutMs: number | undefined | false): Promise<unknown> | undefined {
    let ack: { id: number; promise: Promise<unknown> } | undefined
    if (ackTimeoutMs !== false) {
      ack = this.#acks.create(ackTimeoutMs ?? this.#ackTimeoutMs, label, () => {
        this.#queue.removeAck(id)
        this.#numberedAcks.delete(id)
      })
      frame.id = ack.id
    }
    const id = frame.id as number
    try {
      const encoded = this.#encode(frame)
      const numbered = frame.t === 'event' || frame.t === 'pub'
      if (this.#state === 'connected' && this.#pause === undefined) this.#transmit(encoded, frame.id, numbered)
      else this.#enqueue(encoded, frame.id, numbered)
      return ack?.promise
    } catch (error) {
      // The caller gets the error thrown; the ack promise nobody holds must not go unhandled.
      if (ack !== undefined) {
        ack.promise.catch(() => {})
        this.#acks.reject(ack.id, error as RealtimeError)
      }
      throw error
    }
  }

  /**
   * Sends an encoded frame. Events and publishes to a server that keeps sessions are numbered and
   * kept until it confirms them, to be sent again after a resume.
   */
  #transmit(encoded: string, ackId: number | undefined, numbered: boolean): void {
    if (numbered && this.#token !== undefined) {
      const s = ++this.#sentSeq
      encoded = `{"s":${s},${encoded.slice(1)}`
      this.#unconfirmed.push({ s, encoded, ackId })
      if (ackId !== undefined) this.#numberedAcks.add(ackId)
    }
    this.#socket?.send(encoded)
  }

  #enqueue(encoded: string, ackId: number | undefined, numbered: boolean): void {
    const dropped = this.#queue.push({ encoded, ackId, numbered })
    if (dropped === undefined) return
    const error = new RealtimeError(ErrorCode.QueueFull, 'Dropped from the full offline queue')
    if (dropped.ackId === undefined) this.#emit('error', error)
    else this.#acks.reject(dropped.ackId, error)
  }

  /** Encodes `frame`, refusing what the server would refuse for its size. */
  #encode(frame: ClientFrame): string {
    const encoded = encodeFrame(frame)
    const room = this.#maxPayload - (this.#token === undefined ? 0 : SEQUENCE_FIELD_BYTES)
    // At most 3 bytes of UTF-8 per UTF-16 unit: only long frames need counting.
    if (encoded.length * 3 > room && new TextEncoder().encode(encoded).length > room) {
      throw new RealtimeError(ErrorCode.PayloadTooLarge, `The frame is larger than the server's maxPayload (${this.#maxPayload} bytes)`)
    }
    return encoded
  }

  #open(): void {
    const index = this.#transportIndex
    const transport = this.#transports[index]
    if (transport === undefined) throw new RealtimeError(ErrorCode.TransportError, 'No transport configured')
    this.#state = this.#everConnected ? 'reconnecting' : 'connecting'
    this.#opened = false
    this.#serverError = undefined
    this.#dropReason = undefined
    const attempt = ++this.#attempts
    if (typeof transport === 'string') {
      loadTransport(transport).then(
        (loaded) => {
          this.#transports[index] = loaded
          if (attempt === this.#attempts && this.#state !== 'disconnected') this.#open()
        },
        (error: unknown) => {
          if (attempt !== this.#attempts || this.#state === 'disconnected') return
          this.#emit('error', new RealtimeError(ErrorCode.TransportError, `The ${transport} transport could not be loaded`, { cause: error }))
          this.#closed(CloseCode.Abnormal, 'transport not loaded')
        },
      )
      return
    }
    let socket: ClientSocket | undefined
    const current = (): boolean => socket !== undefined && this.#socket === socket
    // With no credentials and no session to resume, `hello` is the URL's `hello=1`: `welcome` comes
    // as the transport opens, a round trip sooner.
    const helloInUrl = this.#auth === undefined && this.#token === undefined
    const url = helloInUrl ? `${this.url}${this.url.includes('?') ? '&' : '?'}hello=${PROTOCOL_VERSION}` : this.url
    this.#timer = setTimeout(() => current() && this.#drop('transport-close'), this.#connectTimeoutMs)
    socket = transport.open(url, {
      open: () => {
        if (!current()) return
        this.#opened = true
        if (!helloInUrl) void this.#hello(socket as ClientSocket)
      },
      message: (text) => {
        if (current()) this.#receive(text)
      },
      close: (code, reason) => {
        if (current()) this.#closed(code, reason)
      },
    })
    this.#socket = socket
  }

  async #hello(socket: ClientSocket): Promise<void> {
    let hello: string
    try {
      const auth = await this.#credentials()
      const resume = this.#token === undefined ? undefined : { token: this.#token, s: this.#receivedSeq, ch: this.#positions.offsets() }
      hello = this.#encode({ t: 'hello', v: PROTOCOL_VERSION, auth, recoverable: true, resume })
    } catch (error) {
      if (this.#socket !== socket) return
      const cause = isRealtimeError(error) ? error : new RealtimeError(ErrorCode.Unauthorized, 'The auth function failed', { cause: error })
      this.#emit('error', cause)
      // A function may return usable credentials next time; a fixed value never will.
      if (typeof this.#auth === 'function') this.#drop('transport-close')
      else this.disconnect()
      return
    }
    if (this.#socket === socket) socket.send(hello)
  }

  #receive(text: string): void {
    this.#heartbeat.seen()
    const frame = parseServerFrame(text)
    if (frame === undefined) return this.#emit('error', new RealtimeError(ErrorCode.BadFrame, 'Malformed frame from the server: not a JSON object'))
    if ((frame.t === 'event' || frame.t === 'ack') && frame.s !== undefined && !this.#isNext(frame.s)) return
    switch (frame.t) {
      case 'welcome':
        return this.#welcome(frame)
      case 'ping':
        if (this.#unconfirmedIn > 0) this.#confirm()
        return this.#send({ t: 'pong' })
      case 'event':
        return this.#event(frame)
      case 'rcv':
        return this.#confirmed(frame.s)
      case 'ack':
        if (frame.err?.code === ErrorCode.RateLimited) this.#holdFor(frame.err.retryAfterMs)
        // Frames arrive in order: the answer to one confirms it and every frame sent before it.
        if (frame.s !== undefined) this.#unconfirmed.splice(0, this.#unconfirmed.findIndex((sent) => sent.ackId === frame.id) + 1)
        this.#acks.settle(frame)
        return
      case 'error':
        if (frame.code === ErrorCode.RateLimited) this.#holdFor(frame.retryAfterMs)
        if (this.#state === 'connected') this.#emit('error', new RealtimeError(frame.code, frame.message, { retryAfterMs: frame.retryAfterMs }))
        else this.#serverError = frame
    }
  }

  /** The server refused a frame for its rate: hold new frames in the queue for `retryAfterMs`. */
  #holdFor(retryAfterMs: number | undefined): void {
    if (typeof retryAfterMs !== 'number' || !(retryAfterMs > 0)) return
    clearTimeout(this.#pause)
    this.#pause = setTimeout(() => {
      this.#pause = undefined
      if (this.#state === 'connected') this.#flushQueue()
    }, Math.min(retryAfterMs, 60_000))
  }

  #flushQueue(): void {
    for (const queued of this.#queue.takeAll()) this.#transmit(queued.encoded, queued.ackId, queued.numbered)
  }

  /** Whether a numbered frame from the server is new; counts it for the next `rcv`. */
  #isNext(s: number): boolean {
    if (s <= this.#receivedSeq) return false
    this.#receivedSeq = s
    if (++this.#unconfirmedIn >= CONFIRM_EVERY) this.#confirm()
    return true
  }

  #confirm(): void {
    this.#unconfirmedIn = 0
    this.#send({ t: 'rcv', s: this.#receivedSeq })
  }

  /** The server has every numbered frame up to `s`: forget them. */
  #confirmed(s: number): void {
    let count = 0
    while (count < this.#unconfirmed.length && (this.#unconfirmed[count] as SentFrame).s <= s) count++
    this.#unconfirmed.splice(0, count)
  }

  /**
   * A new session replaced the one that dropped: what was sent on the old one may or may not have
   * been handled, and its numbering starts over.
   */
  #abandonSession(wanted: Channel[]): void {
    const plain = this.#unconfirmed.filter((sent) => sent.ackId === undefined).length
    for (const id of [...this.#numberedAcks]) {
      this.#acks.reject(id, new RealtimeError(ErrorCode.OutcomeUnknown, 'The session ended before the server answered'))
    }
    if (plain > 0) this.#emit('error', new RealtimeError(ErrorCode.OutcomeUnknown, `${plain} emits may not have reached the server: the session ended first`))
    this.#restartNumbering()
    for (const channel of this.#channels.values()) channel.released()
    this.#toUnsubscribe.clear()
    this.#positions.keepOnly(new Set(wanted.map((channel) => channel.name)))
  }

  #welcome(frame: WelcomeFrame): void {
    if (this.#state === 'connected') return
    if (frame.v !== PROTOCOL_VERSION) {
      this.#emit('error', new RealtimeError(ErrorCode.UnsupportedVersion, `The server speaks protocol ${frame.v}, this client ${PROTOCOL_VERSION}`))
      this.disconnect()
      return
    }
    clearTimeout(this.#timer)
    const reconnected = this.#everConnected
    const attempts = this.#attempt
    const resumed = frame.resumed === true && this.#token !== undefined
    this.#state = 'connected'
    this.#everConnected = true
    this.#attempt = 0
    this.#sessionId = frame.sid
    this.#token = frame.token
    this.#maxPayload = frame.maxPayload
    this.#socket?.setMaxPayload?.(frame.maxPayload)
    this.#heartbeat.start(frame.pingInterval + frame.pingTimeout)
    this.#scheduleRenewal(frame.expiresAt)
    if (resumed) {
      // The server has every frame up to `s`; the rest go again, before anything new.
      this.#confirmed(frame.s ?? 0)
      for (const sent of this.#unconfirmed) this.#socket?.send(sent.encoded)
      for (const ch of inFrames([...this.#toUnsubscribe])) this.#send({ t: 'unsub', ch })
      this.#toUnsubscribe.clear()
    }
    const wanted = [...this.#channels.values()].filter((channel) => channel.wanted)
    if (!resumed) this.#abandonSession(wanted)
    const lost = new Set(frame.lost)
    for (const channel of wanted) if (resumed && channel.held) channel.subscribed(undefined, { recovered: !lost.has(channel.name) })
    this.#subscribeAll(wanted.filter((channel) => !channel.held))
    // Listeners restore app state (re-join a room, say) before the frames queued offline go out.
    if (reconnected) this.#emit('reconnect', { attempts, recovered: resumed && lost.size === 0 })
    this.#emit('connect')
    if (this.#pause === undefined) this.#flushQueue()
  }

  /** Sends `sub` frames for `channels`, as few as the per-frame limit allows. */
  #subscribeAll(channels: Channel[]): void {
    if (this.#state === 'connected') for (const batch of inFrames(channels)) this.#subscribe(batch)
  }

  #subscribe(channels: Channel[]): void {
    const names = channels.map((channel) => channel.name)
    const { id, promise } = this.#acks.create(this.#ackTimeoutMs, 'subscribe')
    this.#send({ t: 'sub', id, ch: names, since: this.#positions.since(names) })
    promise.then(
      (results) => {
        for (const result of results as SubscribeResult[]) {
          if (result.err === undefined) this.#positions.confirmed(result)
          this.#channels.get(result.ch)?.subscribed(result.err, { recovered: result.recovered === true })
          if (result.err !== undefined) this.#emit('error', new RealtimeError(result.err.code, `${result.err.message} (channel "${result.ch}")`))
        }
      },
      (error: RealtimeError) => {
        // A dropped connection resubscribes on reconnect; anything else ends the attempt.
        if (error.code === ErrorCode.Disconnected) return
        for (const channel of channels) channel.failed(error)
        // The server may still join them after a timeout: make sure it does not stay joined.
        if (error.code === ErrorCode.Timeout && this.#state === 'connected') this.#send({ t: 'unsub', ch: names })
      },
    )
  }

  #event(frame: EventFrame): void {
    if (frame.ch !== undefined) {
      if (frame.o !== undefined) this.#positions.received(frame.ch, frame.o)
      this.#channels.get(frame.ch)?.dispatch(frame.e, frame.d)
    }
    if (frame.id === undefined) this.#listeners.emit(frame.e, frame.d)
    else void this.#answer(frame.id, frame.e, this.#listeners.call(frame.e, frame.d))
  }

  /** Answers the server's `emitWithAck` with what the first listener returned or threw. */
  async #answer(id: number, event: string, outcome: FirstOutcome | undefined): Promise<void> {
    let err: ErrorPayload | undefined
    try {
      if (outcome === undefined) throw new RealtimeError(ErrorCode.UnknownEvent, `No listener for "${event}"`)
      if ('error' in outcome) throw outcome.error
      const d = await outcome.value
      return this.#send({ t: 'ack', id, d })
    } catch (error) {
      err = isRealtimeError(error) ? { code: error.code, message: error.message } : { code: ErrorCode.HandlerError, message: 'The listener failed' }
    }
    this.#send({ t: 'ack', id, err })
  }

  #closed(code: number, reason: string): void {
    clearTimeout(this.#timer)
    clearTimeout(this.#renewal)
    this.#heartbeat.stop()
    this.#socket = undefined
    const wasConnected = this.#state === 'connected'
    const dropped = this.#dropReason !== undefined
    // Credentials that expired while connected are renewed by reconnecting, when a function can renew them.
    const expired = code === CloseCode.Unauthorized && wasConnected && typeof this.#auth === 'function'
    const refused = !dropped && !expired && isFinalCloseCode(code)
    // Trying the next transport is part of the same attempt, not a reconnection.
    const fallBack = !refused && !this.#opened && this.#transportIndex + 1 < this.#transports.length
    const final = refused || (!fallBack && this.#reconnection === false)
    // Frames still in the offline queue were never sent, and numbered ones go again after a
    // resume: they wait for the next connection.
    this.#acks.rejectAll(
      new RealtimeError(ErrorCode.Disconnected, 'The connection dropped before the server answered'),
      (id) => this.#queue.holdsAck(id) || this.#numberedAcks.has(id),
    )
    if (wasConnected) {
      for (const channel of this.#channels.values()) channel.lost()
      this.#emit('disconnect', { reason: this.#dropReason ?? disconnectReason(code), code, willReconnect: !final })
    }
    const errorCode = this.#serverError?.code ?? errorCodeForClose(code)
    const error = errorCode === undefined ? undefined : new RealtimeError(errorCode, this.#serverError?.message ?? (reason || `Closed with ${code}`))
    if (error !== undefined && !dropped) this.#emit('error', error)
    if (final) {
      this.#stop(error ?? new RealtimeError(ErrorCode.Closed, 'The connection was closed and will not be reopened'))
    } else if (fallBack) {
      this.#transportIndex++
      this.#open()
    } else {
      if (!this.#opened) this.#transportIndex = 0
      this.#scheduleReconnect()
    }
  }

  #scheduleReconnect(): void {
    const options = this.#reconnection as ReconnectionOptions
    this.#attempt++
    if (this.#attempt > (options.maxAttempts ?? Infinity)) {
      const error = new RealtimeError(ErrorCode.TransportError, `Could not connect after ${this.#attempt - 1} attempts`)
      this.#stop(error)
      this.#emit('error', error)
      return
    }
    const delayMs = backoffDelay(this.#attempt, options)
    this.#state = 'reconnecting'
    this.#timer = setTimeout(() => this.#open(), delayMs)
    this.#emit('reconnecting', { attempt: this.#attempt, delayMs })
  }

  /** Ends for good: queued frames are discarded, awaited answers and subscriptions rejected. */
  #stop(error: RealtimeError): void {
    this.#state = 'disconnected'
    clearTimeout(this.#renewal)
    clearTimeout(this.#pause)
    this.#pause = undefined
    this.#queue.takeAll()
    this.#acks.rejectAll(error)
    for (const channel of this.#channels.values()) channel.failed(error)
    this.#token = undefined
    this.#restartNumbering()
  }

  /** A new session numbers its frames from 1, and nothing of the old one is sent again. */
  #restartNumbering(): void {
    this.#unconfirmed = []
    this.#sentSeq = this.#receivedSeq = this.#unconfirmedIn = 0
  }

  /** Drops the current socket as if the network had failed; reconnection follows. */
  #drop(reason: DisconnectReason): void {
    this.#dropReason = reason
    const socket = this.#socket
    socket?.close(CloseCode.Stalled, reason)
    // A transport that does not report its own close must not stall the client.
    if (socket !== undefined && this.#socket === socket) this.#closed(CloseCode.Stalled, reason)
  }

  #send(frame: ClientFrame): void {
    this.#socket?.send(encodeFrame(frame))
  }

  #emit<K extends keyof ClientLifecycleEvents>(event: K, ...args: Parameters<ClientLifecycleEvents[K]>): void {
    this.#listeners.emit(event, args[0])
  }
}

/** `list` in slices of as many as one frame may name. */
function inFrames<T>(list: T[]): T[][] {
  const slices: T[][] = []
  for (let start = 0; start < list.length; start += MAX_CHANNELS_PER_FRAME) slices.push(list.slice(start, start + MAX_CHANNELS_PER_FRAME))
  return slices
}

/** `event` if it may be sent. */
function checkName(event: string): string {
  if (!isValidName(event)) throw new RealtimeError(ErrorCode.BadFrame, 'An event name must have 1 to 256 characters')
  if (RESERVED_EVENTS.has(event)) throw new RealtimeError(ErrorCode.ReservedEvent, `"${event}" is a reserved event name`)
  return event
}

function disconnectReason(code: number): DisconnectReason {
  if (code === CloseCode.Normal) return 'server'
  if (code === CloseCode.GoingAway) return 'server-shutdown'
  return isFinalCloseCode(code) ? 'refused' : 'transport-close'
}
