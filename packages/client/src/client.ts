import {
  CloseCode,
  ErrorCode,
  MAX_CHANNELS_PER_FRAME,
  MAX_CHANNEL_KEY_LENGTH,
  PROTOCOL_VERSION,
  PendingAcks,
  RealtimeError,
  channelKey,
  encodeFrame,
  errorCodeForClose,
  isFinalCloseCode,
  isRealtimeError,
  isValidName,
  type ChannelOptions,
  type ChannelPosition,
  type ClientFrame,
  type DefaultEvents,
  type ErrorPayload,
  type EventAnswer,
  type EventArgs,
  type EventFrame,
  type EventMap,
  type EventName,
  type SubscribeResult,
  type TransportName,
  type WelcomeFrame,
} from '@org/realtime-core'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import type { Channel } from './channel.js'
import { ClientChannel, type ChannelHost } from './internal/client-channel.js'
import { Connector } from './internal/connector.js'
import { Listeners } from './internal/listeners.js'
import { parseServerFrame } from './internal/parse-server-frame.js'
import { Session } from './internal/session.js'
import { OfflineQueue } from './offline-queue.js'
import type { AckArgs, ClientLifecycleEvents, ClientState, DisconnectReason, EventListener, Lifecycle } from './events.js'
import type { RealtimeClientOptions } from './options.js'

/** Room a numbered frame needs for its `"s":<n>,` field. */
const SEQUENCE_FIELD_BYTES = 22

/**
 * The realtime client, for browsers and Node.js. `ServerEvents` types the events the server sends
 * to this connection and `ClientEvents` those the client emits (see `EventMap` in
 * `@org/realtime-core`); both accept any event by default.
 *
 * @example
 * const client = new RealtimeClient<ServerEvents, ClientEvents>('http://localhost:3000/realtime', { auth: { token } })
 * client.lifecycle.on('disconnect', ({ willReconnect }) => showOffline(willReconnect))
 * client.on('notice', (notice) => render(notice))
 * const { id } = await client.emitWithAck('send-message', { text: 'hi' })
 */
export class RealtimeClient<ServerEvents extends EventMap<ServerEvents> = DefaultEvents, ClientEvents extends EventMap<ClientEvents> = DefaultEvents> {
  /** The server URL, `http(s)://host/path`. */
  readonly url: string
  readonly #connector: Connector
  readonly #session = new Session((text) => this.#connector.socket_?.send(text))
  readonly #ackTimeoutMs: number
  readonly #auth: unknown
  /**
   * The client's lifecycle, apart from the app's events: `connect`, `disconnect`, `reconnecting`,
   * `reconnect` and `error` (see {@link ClientLifecycleEvents}).
   */
  readonly lifecycle: Lifecycle<ClientLifecycleEvents> = new Listeners((error, event) => this.#listenerFailed(error, event, event === 'error'))
  readonly #listeners = new Listeners((error, event) => this.#listenerFailed(error, event))
  readonly #channels = new Map<string, ClientChannel>()
  readonly #queue: OfflineQueue
  readonly #acks = new PendingAcks()
  /** What the channels need from the client. */
  readonly #host: ChannelHost
  /** Renews the credentials before they expire. */
  #renewal: ReturnType<typeof setTimeout> | undefined
  /** Set while the server's rate limit asks the client to hold its frames. */
  #pause: ReturnType<typeof setTimeout> | undefined
  /** Channels whose subscription goes out at the end of this tick. */
  readonly #toSubscribe: ClientChannel[] = []
  #state: ClientState = 'idle'
  /** Whether the current attempt carries `hello` in its URL: then `welcome` comes as the transport opens. */
  #helloInUrl = false
  #sessionId: string | undefined
  #maxPayload = 1_048_576
  #everConnected = false
  /** The server's error frame for the current socket, if it sent one. */
  #serverError: ErrorPayload | undefined
  /** Channels left while disconnected that the dropped session still holds. */
  readonly #toUnsubscribe = new Set<string>()

  constructor(url: string, options: RealtimeClientOptions = {}) {
    this.url = url
    this.#connector = new Connector(options.transports ?? [webSocketTransport()], options.reconnection ?? {}, options.connectTimeoutMs ?? 10_000, {
      open: () => this.#helloInUrl || void this.#hello(),
      message: (text) => this.#receive(text),
      close: (code, reason, status, error) => this.#closed(code, reason, status, error),
      reopen: () => this.#open(),
    })
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 10_000
    this.#auth = options.auth
    this.#queue = new OfflineQueue(options.offlineQueue)
    this.#host = {
      client_: this as RealtimeClient,
      requestSubscribe_: (channel) => {
        if (this.#state !== 'connected') return
        // Subscriptions asked for in the same tick go in one frame, authorized in one round trip.
        if (this.#toSubscribe.length === 0) queueMicrotask(() => this.#subscribeAll(this.#toSubscribe.splice(0)))
        this.#toSubscribe.push(channel)
      },
      requestUnsubscribe_: (channel, held) => {
        if (this.#state === 'connected') this.#send({ t: 'unsub', ch: [channel.key_] })
        else if (held) this.#toUnsubscribe.add(channel.key_)
      },
      submit_: (frame, label, ackTimeoutMs) => this.#submit(frame, label, ackTimeoutMs),
      report_: (error, event) => this.#listenerFailed(error, event),
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
    return this.#connector.transport
  }

  /**
   * Calls `listener` with the data of every `event` the server sends to this connection (or
   * broadcasts to every connection); its return value answers the server's `emitWithAck`. A
   * message broadcast to a room is heard on that room's channel instead, `client.channel(room).on`.
   */
  on<E extends EventName<ServerEvents>>(event: E, listener: EventListener<ServerEvents, E>): this {
    this.#listeners.on(event, listener)
    return this
  }

  /** Like `on`, for the next `event` only. */
  once<E extends EventName<ServerEvents>>(event: E, listener: EventListener<ServerEvents, E>): this {
    this.#listeners.once(event, listener)
    return this
  }

  /** Removes `listener` of `event` (added with `on` or `once`), or all of them when `listener` is omitted. */
  off<E extends EventName<ServerEvents>>(event: E, listener?: EventListener<ServerEvents, E>): this {
    this.#listeners.off(event, listener)
    return this
  }

  /**
   * The channel called `name`, subscribed with `options` (JSON the server's `authorize` and the
   * plugin of the channel's namespace read, such as a database change filter); the same object on
   * every call with the same name and equal options, whatever their key order. The same name with
   * other options is another subscription, with messages of its own. `Events` types its messages.
   * @throws RealtimeError `BAD_FRAME` for a name that is empty or longer than 256 characters, or
   * a name and options longer than 1281 characters together (the server refuses options over
   * 1024 characters of JSON with `BAD_REQUEST`).
   */
  channel<Events extends EventMap<Events> = DefaultEvents>(name: string, options?: ChannelOptions): Channel<Events> {
    const key = channelKey(name, options)
    let channel = this.#channels.get(key)
    if (channel === undefined) {
      checkName(name, 'channel', isValidName(name) && key.length <= MAX_CHANNEL_KEY_LENGTH)
      this.#channels.set(key, (channel = new ClientChannel(name, key, this.#host)))
    }
    return channel as Channel as Channel<Events>
  }

  /** Opens the connection; called by the constructor unless `autoConnect` is false. */
  connect(): this {
    if (this.#state === 'idle' || this.#state === 'disconnected') {
      this.#connector.attempt_ = 0
      this.#watchNetwork(true)
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
    this.#connector.close(CloseCode.Normal, 'client disconnect')
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

  /**
   * Sends `event` to the server, now or, while disconnected, from the offline queue. A refusal
   * is reported as the lifecycle `error`.
   * @throws RealtimeError `BAD_FRAME` (invalid name), `INVALID_PAYLOAD`, `PAYLOAD_TOO_LARGE` or `QUEUE_FULL`.
   */
  emit<E extends EventName<ClientEvents>>(event: E, ...args: EventArgs<ClientEvents, E>): void
  emit(event: string, data?: unknown): void {
    void this.#submit({ t: 'event', e: event, d: data }, event, false)
  }

  /**
   * Sends `event` and resolves with what the server's handler returned (`options.timeoutMs`
   * defaults to `ackTimeoutMs`). A refusal rejects the promise only.
   * @throws RealtimeError `TIMEOUT`, `DISCONNECTED` when the connection drops after sending,
   * `UNKNOWN_EVENT`, the error the handler threw, or any error `emit` throws.
   */
  emitWithAck<E extends EventName<ClientEvents>>(event: E, ...args: AckArgs<ClientEvents, E>): Promise<EventAnswer<ClientEvents, E>>
  async emitWithAck(event: string, data?: unknown, options: { timeoutMs?: number } = {}): Promise<unknown> {
    // `async`: what `emit` would throw rejects the promise instead.
    return this.#submit({ t: 'event', e: event, d: data }, event, options.timeoutMs)
  }

  /**
   * The browser's `offline` event: the connection is lost, now rather than when a timeout notices;
   * `online`: the reconnection waiting for its backoff delay goes now.
   */
  readonly #network = (event: { type: string }): void => {
    if (event.type === 'offline') this.#connector.drop_('transport-close')
    else if (this.#state === 'reconnecting') this.#connector.hurry_()
  }

  /** Listens to the `offline` and `online` events of `globalThis` where it has them (browsers), or stops. */
  #watchNetwork(watch: boolean): void {
    const target = globalThis as unknown as { [method: string]: ((type: string, listener: unknown) => void) | undefined }
    for (const type of ['offline', 'online']) target[watch ? 'addEventListener' : 'removeEventListener']?.(type, this.#network)
  }

  /**
   * A listener threw, or its promise rejected: reported as the lifecycle `error`, or to the
   * platform (`reportError`, where there is one) when nothing listens to it or when `platform`
   * (the `error` listener itself failed).
   */
  #listenerFailed(error: unknown, event: string, platform?: boolean): void {
    if (platform || !(this.lifecycle as Listeners).has_('error')) (globalThis as { reportError?(error: unknown): void }).reportError?.(error)
    else this.#emit('error', new RealtimeError(ErrorCode.ListenerError, `A listener of "${event}" failed`, { cause: error }))
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
      () => void this.reauthenticate().catch((error: unknown) => this.#emit('error', error as RealtimeError)),
      Math.max(0, remaining - Math.min(30_000, remaining / 2)),
    )
  }

  /** The last offset received on each channel, for a resume request. */
  #offsets(): Record<string, number> {
    const offsets: Record<string, number> = {}
    for (const channel of this.#channels.values()) if (channel.offset !== undefined) offsets[channel.key_] = channel.offset
    return offsets
  }

  /**
   * Encodes and sends a frame, or queues it while disconnected; returns its ack promise unless
   * `ackTimeoutMs` is false. Events and publishes are numbered by a resumable session, once their
   * name is checked.
   */
  #submit(frame: ClientFrame & { id?: number }, label: string, ackTimeoutMs: number | undefined | false): Promise<unknown> | undefined {
    const numbered = frame.t === 'event' || frame.t === 'pub'
    if (numbered) checkName(frame.e)
    let ack: { id: number; promise: Promise<unknown> } | undefined
    if (ackTimeoutMs !== false) {
      ack = this.#acks.create(ackTimeoutMs ?? this.#ackTimeoutMs, label, () => {
        this.#queue.removeAck_(id)
        this.#session.acks_.delete(id)
      })
      frame.id = ack.id
    }
    const id = frame.id as number
    try {
      const encoded = this.#encode(frame)
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

  /** Sends an encoded frame, numbered by the session when it is an event or publish. */
  #transmit(encoded: string, ackId: number | undefined, numbered: boolean): void {
    this.#connector.socket_?.send(this.#session.number_(encoded, ackId, numbered))
  }

  #enqueue(encoded: string, ackId: number | undefined, numbered: boolean): void {
    const dropped = this.#queue.push_({ encoded_: encoded, ackId_: ackId, numbered_: numbered })
    if (dropped === undefined) return
    const error = this.#queue.full_()
    if (dropped.ackId_ === undefined) this.#emit('error', error)
    else this.#acks.reject(dropped.ackId_, error)
  }

  /** Encodes `frame`, refusing what the server would refuse for its size. */
  #encode(frame: ClientFrame): string {
    const encoded = encodeFrame(frame)
    const room = this.#maxPayload - (this.#session.token_ === undefined ? 0 : SEQUENCE_FIELD_BYTES)
    // At most 3 bytes of UTF-8 per UTF-16 unit: only long frames need counting.
    if (encoded.length * 3 > room && new TextEncoder().encode(encoded).length > room) {
      throw new RealtimeError(ErrorCode.PayloadTooLarge, `Frame over maxPayload (${this.#maxPayload} bytes)`)
    }
    return encoded
  }

  #open(): void {
    this.#state = this.#everConnected ? 'reconnecting' : 'connecting'
    this.#serverError = undefined
    // With no credentials and no session to resume, `hello` is the URL's `hello=1`: `welcome` comes
    // as the transport opens, a round trip sooner.
    const helloInUrl = (this.#helloInUrl = this.#auth === undefined && this.#session.token_ === undefined)
    this.#connector.open(helloInUrl ? `${this.url}${this.url.includes('?') ? '&' : '?'}hello=${PROTOCOL_VERSION}` : this.url)
  }

  async #hello(): Promise<void> {
    const socket = this.#connector.socket_
    let hello: string
    try {
      const auth = await this.#credentials()
      const session = this.#session
      const resume = session.token_ === undefined ? undefined : { token: session.token_, s: session.received_.last, ch: this.#offsets() }
      hello = this.#encode({ t: 'hello', v: PROTOCOL_VERSION, auth, recoverable: true, resume })
    } catch (error) {
      if (this.#connector.socket_ !== socket) return
      const cause = isRealtimeError(error) ? error : new RealtimeError(ErrorCode.Unauthorized, 'The auth function failed', { cause: error })
      this.#emit('error', cause)
      // A function may return usable credentials next time; a fixed value never will.
      if (typeof this.#auth === 'function') this.#connector.drop_('transport-close')
      else this.disconnect()
      return
    }
    if (this.#connector.socket_ === socket) socket?.send(hello)
  }

  #receive(text: string): void {
    this.#connector.seen_()
    const frame = parseServerFrame(text)
    if (frame === undefined) return this.#emit('error', new RealtimeError(ErrorCode.BadFrame, 'Malformed frame from the server'))
    if (!this.#session.receive_(frame)) return
    switch (frame.t) {
      case 'welcome':
        return this.#welcome(frame)
      case 'ping':
        return this.#send({ t: 'pong' })
      case 'event':
        return this.#event(frame)
      case 'ack':
        if (frame.err?.code === ErrorCode.RateLimited) this.#holdFor(frame.err.retryAfterMs)
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
    for (const queued of this.#queue.takeAll_()) this.#transmit(queued.encoded_, queued.ackId_, queued.numbered_)
  }

  /**
   * A new session replaced the one that dropped: what was sent on the old one may or may not have
   * been handled, and its numbering starts over.
   */
  #abandonSession(): void {
    for (const id of [...this.#session.acks_]) {
      this.#acks.reject(id, new RealtimeError(ErrorCode.OutcomeUnknown, 'The session ended before the server answered'))
    }
    const plain = this.#session.restart_()
    if (plain > 0) this.#emit('error', new RealtimeError(ErrorCode.OutcomeUnknown, `The session ended before the server confirmed ${plain} emits`))
    // The rooms of the session are gone with it: only the channels still wanted keep their offsets.
    for (const channel of this.#channels.values()) {
      channel.held_ = false
      if (!channel.wanted_) channel.forget_()
    }
    this.#toUnsubscribe.clear()
  }

  #welcome(frame: WelcomeFrame): void {
    if (this.#state === 'connected') return
    if (frame.v !== PROTOCOL_VERSION) {
      this.#emit('error', new RealtimeError(ErrorCode.UnsupportedVersion, `Server protocol ${frame.v}, client ${PROTOCOL_VERSION}`))
      this.disconnect()
      return
    }
    const session = this.#session
    const reconnected = this.#everConnected
    const attempts = this.#connector.attempt_
    const resumed = frame.resumed === true && session.token_ !== undefined
    this.#connector.connected_(frame.pingInterval + frame.pingTimeout)
    this.#state = 'connected'
    this.#everConnected = true
    this.#sessionId = frame.sid
    session.token_ = frame.token
    this.#maxPayload = frame.maxPayload
    this.#connector.socket_?.setMaxPayload?.(frame.maxPayload)
    this.#scheduleRenewal(frame.expiresAt)
    if (resumed) {
      session.resume_(frame.s ?? 0)
      for (const ch of inFrames([...this.#toUnsubscribe])) this.#send({ t: 'unsub', ch })
      this.#toUnsubscribe.clear()
    }
    const wanted = [...this.#channels.values()].filter((channel) => channel.wanted_)
    if (!resumed) this.#abandonSession()
    const lost = new Set(frame.lost)
    for (const channel of wanted) if (resumed && channel.held_) channel.subscribed_(undefined, { recovered: !lost.has(channel.key_) })
    this.#subscribeAll(wanted.filter((channel) => !channel.held_))
    // Listeners restore app state (re-join a room, say) before the frames queued offline go out.
    if (reconnected) this.#emit('reconnect', { attempts, recovered: resumed && lost.size === 0 })
    this.#emit('connect')
    if (this.#pause === undefined) this.#flushQueue()
  }

  /** Sends `sub` frames for `channels`, as few as the per-frame limit allows. */
  #subscribeAll(channels: ClientChannel[]): void {
    if (this.#state === 'connected') for (const batch of inFrames(channels)) this.#subscribe(batch)
  }

  /**
   * Asks the server for `channels`. A refusal is reported by the channel: to its `subscribe()`
   * promises, or as its lifecycle `error` when none waits.
   */
  #subscribe(channels: ClientChannel[]): void {
    const names: string[] = []
    let since: Record<string, ChannelPosition> | undefined
    for (const channel of channels) {
      names.push(channel.key_)
      const position = channel.since_()
      if (position !== undefined) (since ??= {})[channel.key_] = position
    }
    const { id, promise } = this.#acks.create(this.#ackTimeoutMs, 'subscribe')
    this.#send({ t: 'sub', id, ch: names, since })
    promise.then(
      (results) => {
        for (const result of results as SubscribeResult[]) {
          const channel = this.#channels.get(result.ch)
          if (result.err === undefined) channel?.confirmed_(result)
          channel?.subscribed_(result.err, { recovered: result.recovered === true })
        }
      },
      (error: RealtimeError) => {
        // A dropped connection resubscribes on reconnect; anything else ends the attempt.
        if (error.code === ErrorCode.Disconnected) return
        for (const channel of channels) channel.failed_(error, true)
        // The server may still join them after a timeout: make sure it does not stay joined.
        if (error.code === ErrorCode.Timeout && this.#state === 'connected') this.#send({ t: 'unsub', ch: names })
      },
    )
  }

  /** A room's message goes to its channel; an event sent to this connection (or to all) to `on`'s listeners. */
  #event(frame: EventFrame): void {
    if (frame.ch !== undefined) this.#channels.get(frame.ch)?.dispatch_(frame.e, frame.d, frame.o)
    else if (frame.id === undefined) this.#listeners.emit_(frame.e, frame.d)
    else void this.#answer(frame.id, frame.e, this.#listeners.emit_(frame.e, frame.d, undefined, true))
  }

  /** Answers the server's `emitWithAck` with what the first listener (`first`) returned or threw. */
  async #answer(id: number, event: string, first: Promise<unknown> | undefined): Promise<void> {
    let err: ErrorPayload
    try {
      if (first !== undefined) return this.#send({ t: 'ack', id, d: await first })
      err = { code: ErrorCode.UnknownEvent, message: `No listener for "${event}"` }
    } catch (error) {
      if (isRealtimeError(error)) err = { code: error.code, message: error.message }
      else {
        // Not a refusal but a bug of the listener: the app hears of it too.
        err = { code: ErrorCode.HandlerError, message: 'The listener failed' }
        this.#listenerFailed(error, event)
      }
    }
    this.#send({ t: 'ack', id, err })
  }

  /**
   * The socket closed, or could not open (`status`: the HTTP status that refused it; `loadError`:
   * its transport could not be loaded).
   */
  #closed(code: number, reason: string, status?: number, loadError?: RealtimeError): void {
    if (loadError !== undefined) this.#emit('error', loadError)
    clearTimeout(this.#renewal)
    const connector = this.#connector
    const wasConnected = this.#state === 'connected'
    const dropReason = connector.dropped_
    const dropped = dropReason !== undefined
    // Credentials that expired while connected are renewed by reconnecting, when a function can renew them.
    const expired = code === CloseCode.Unauthorized && wasConnected && typeof this.#auth === 'function'
    const final = !connector.willRetry_(!dropped && !expired && isFinalCloseCode(code), status)
    // Frames still in the offline queue were never sent, and numbered ones go again after a
    // resume: they wait for the next connection.
    this.#acks.rejectAll(
      new RealtimeError(ErrorCode.Disconnected, 'The connection dropped before the server answered'),
      (id) => this.#queue.holdsAck_(id) || this.#session.acks_.has(id),
    )
    const failure = wasConnected ? undefined : connector.failure_(code, reason, status, !final)
    if (failure === undefined) {
      for (const channel of this.#channels.values()) channel.lost_()
      this.#emit('disconnect', { reason: dropReason ?? disconnectReason(code), code, willReconnect: !final })
    } else this.#emit('connect_error', failure)
    const errorCode = this.#serverError?.code ?? errorCodeForClose(code)
    let error = errorCode === undefined ? undefined : new RealtimeError(errorCode, this.#serverError?.message ?? (reason || `Closed with ${code}`))
    if (error !== undefined && !dropped) this.#emit('error', error)
    if (final) {
      // Giving up connecting is an error of its own, unless the close had one.
      const givenUp = error === undefined && failure !== undefined
      if (givenUp) {
        const why = connector.refusedAll_ ? `: HTTP ${status} on every transport` : ''
        error = new RealtimeError(ErrorCode.TransportError, `Could not connect to ${this.url}${why}`, { cause: failure })
      }
      this.#stop(error ?? new RealtimeError(ErrorCode.Closed, 'Closed for good'))
      if (givenUp) this.#emit('error', error as RealtimeError)
      return
    }
    const scheduled = connector.retry_()
    if (scheduled === undefined) return
    this.#state = 'reconnecting'
    this.#emit('reconnecting', scheduled)
  }

  /** Ends for good: queued frames are discarded, awaited answers and subscriptions rejected. */
  #stop(error: RealtimeError): void {
    this.#state = 'disconnected'
    this.#watchNetwork(false)
    clearTimeout(this.#renewal)
    clearTimeout(this.#pause)
    this.#pause = undefined
    this.#queue.takeAll_()
    this.#acks.rejectAll(error)
    for (const channel of this.#channels.values()) channel.failed_(error, false)
    this.#session.token_ = undefined
    this.#session.restart_()
  }

  #send(frame: ClientFrame): void {
    this.#connector.socket_?.send(encodeFrame(frame))
  }

  #emit<K extends keyof ClientLifecycleEvents>(event: K, ...args: Parameters<ClientLifecycleEvents[K]>): void {
    ;(this.lifecycle as Listeners).emit_(event, args[0])
  }
}

/** `list` in slices of as many as one frame may name. */
function inFrames<T>(list: T[]): T[][] {
  const slices: T[][] = []
  for (let start = 0; start < list.length; start += MAX_CHANNELS_PER_FRAME) slices.push(list.slice(start, start + MAX_CHANNELS_PER_FRAME))
  return slices
}

/** `name` if it may be sent: `valid` says whether it (with its options, for a channel) may. */
function checkName(name: string, kind = 'event', valid = isValidName(name)): string {
  if (!valid) throw new RealtimeError(ErrorCode.BadFrame, `The ${kind} name must have 1 to 256 characters`)
  return name
}

function disconnectReason(code: number): DisconnectReason {
  if (code === CloseCode.Normal) return 'server'
  if (code === CloseCode.GoingAway) return 'server-shutdown'
  return isFinalCloseCode(code) ? 'refused' : 'transport-close'
}
