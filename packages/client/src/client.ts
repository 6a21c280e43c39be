import {
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  PendingAcks,
  RESERVED_EVENTS,
  RealtimeError,
  backoffDelay,
  decodeServerFrame,
  encodeFrame,
  errorCodeForClose,
  isFinalCloseCode,
  isRealtimeError,
  utf8Length,
  type ClientFrame,
  type ClientSocket,
  type ClientTransport,
  type ErrorPayload,
  type EventFrame,
  type ServerFrame,
  type SubscribeResult,
  type TransportName,
  type WelcomeFrame,
} from '@org/realtime-core'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import { Channel, type ChannelHost } from './channel.js'
import { HeartbeatWatch } from './internal/heartbeat-watch.js'
import { Listeners, reportError, type Listener } from './internal/listeners.js'
import { OfflineQueue, type QueuedFrame } from './offline-queue.js'
import type { RealtimeClientOptions, ReconnectionOptions } from './options.js'

/** Where the client stands. */
export type ClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected'

/** Why the connection ended, as reported by the `disconnect` event. */
export type DisconnectReason =
  | 'client'
  | 'server'
  | 'server-shutdown'
  | 'refused'
  | 'heartbeat-timeout'
  | 'transport-close'

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
}

/** Lifecycle events of {@link RealtimeClient} and their listeners. */
export interface ClientLifecycleEvents {
  /** The handshake succeeded, first time or after a reconnect. */
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

const defaultReconnection: ReconnectionOptions = { initialDelayMs: 1000, maxDelayMs: 5000, jitter: 0.5, maxAttempts: Infinity }

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
  readonly #transports: ClientTransport[]
  readonly #reconnection: ReconnectionOptions | false
  readonly #connectTimeoutMs: number
  readonly #ackTimeoutMs: number
  readonly #auth: unknown
  readonly #listeners = new Listeners()
  readonly #channels = new Map<string, Channel>()
  readonly #queue: OfflineQueue
  readonly #acks = new PendingAcks()
  readonly #heartbeat = new HeartbeatWatch(() => this.#lose('heartbeat-timeout'))
  readonly #channelHost: ChannelHost
  #state: ClientState = 'idle'
  #socket: ClientSocket | undefined
  #transportIndex = 0
  #opened = false
  #sessionId: string | undefined
  #maxPayload = 1_048_576
  #attempt = 0
  #everConnected = false
  #lostReason: DisconnectReason | undefined
  #refusal: ErrorPayload | undefined
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(url: string, options: RealtimeClientOptions = {}) {
    this.url = url
    this.#transports = options.transports ?? [webSocketTransport()]
    this.#reconnection = options.reconnection === false ? false : { ...defaultReconnection, ...options.reconnection }
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 10_000
    this.#auth = options.auth
    this.#queue = new OfflineQueue(options.offlineQueue)
    this.#channelHost = {
      requestSubscribe: (channel) => {
        if (this.#state === 'connected') this.#subscribe([channel])
      },
      requestUnsubscribe: (channel) => {
        if (this.#state === 'connected') this.#send({ t: 'unsub', ch: [channel.name] })
      },
      publish: (channel, event, data, timeoutMs) => this.#submit({ t: 'pub', ch: channel, e: event, d: data }, timeoutMs),
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
    return this.#transports[this.#transportIndex]?.name
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

  /** The channel called `name`; the same object on every call. */
  channel(name: string): Channel {
    let channel = this.#channels.get(name)
    if (channel === undefined) {
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

  /** Closes the connection for good: no reconnection; queued emits and pending acks reject with `CLOSED`. */
  disconnect(): this {
    const wasConnected = this.#state === 'connected'
    clearTimeout(this.#timer)
    this.#closeSocket()
    this.#stop(new RealtimeError(ErrorCode.Closed, 'The client was disconnected'))
    if (wasConnected) this.#emit('disconnect', { reason: 'client', code: 1000, willReconnect: false })
    return this
  }

  /**
   * Sends `event` to the server, now or, while disconnected, from the offline queue.
   * @throws RealtimeError `RESERVED_EVENT`, `INVALID_PAYLOAD`, `PAYLOAD_TOO_LARGE` or `QUEUE_FULL`.
   */
  emit(event: string, data?: unknown): void {
    void this.#submit({ t: 'event', e: event, d: data }, false)
  }

  /**
   * Sends `event` and resolves with what the server's handler returned.
   * @throws RealtimeError `TIMEOUT`, `DISCONNECTED` when the connection drops while waiting,
   * `UNKNOWN_EVENT`, or the error the handler threw.
   */
  emitWithAck<T = unknown>(event: string, data?: unknown, options: { timeoutMs?: number } = {}): Promise<T> {
    try {
      return this.#submit({ t: 'event', e: event, d: data }, options.timeoutMs) as Promise<T>
    } catch (error) {
      return Promise.reject(error)
    }
  }

  #submit(frame: ClientFrame & { e: string }, ackTimeoutMs: number | undefined | false): Promise<unknown> | undefined {
    if (RESERVED_EVENTS.has(frame.e)) throw new RealtimeError(ErrorCode.ReservedEvent, `"${frame.e}" is a reserved event name`)
    let promise: Promise<unknown> | undefined
    let queued: QueuedFrame | undefined
    if (ackTimeoutMs !== false) {
      const ack = this.#acks.create(ackTimeoutMs ?? this.#ackTimeoutMs, frame.e, () => queued && this.#queue.remove(queued))
      ;(frame as { id?: number }).id = ack.id
      promise = ack.promise
    }
    const id = (frame as { id?: number }).id
    try {
      const encoded = encodeFrame(frame)
      if (utf8Length(encoded) > this.#maxPayload) {
        throw new RealtimeError(ErrorCode.PayloadTooLarge, `The frame is larger than the server's maxPayload (${this.#maxPayload} bytes)`)
      }
      if (this.#state === 'connected') {
        this.#socket?.send(encoded)
        return promise
      }
      queued = {
        encoded,
        drop: (error) => (id === undefined ? this.#emit('error', error) : this.#acks.reject(id, error)),
      }
      this.#queue.push(queued)
      return promise
    } catch (error) {
      // The caller gets the error thrown; the ack promise nobody holds must not go unhandled.
      if (id !== undefined) {
        promise?.catch(() => {})
        this.#acks.reject(id, error as RealtimeError)
      }
      throw error
    }
  }

  #open(): void {
    const transport = this.#transports[this.#transportIndex]
    if (transport === undefined) throw new RealtimeError(ErrorCode.TransportError, 'No transport configured')
    this.#state = this.#everConnected ? 'reconnecting' : 'connecting'
    this.#opened = false
    this.#refusal = undefined
    this.#lostReason = undefined
    let socket: ClientSocket | undefined
    const current = (): boolean => socket !== undefined && this.#socket === socket
    this.#timer = setTimeout(() => current() && this.#lose('transport-close'), this.#connectTimeoutMs)
    socket = transport.open(this.url, {
      open: () => {
        if (!current()) return
        this.#opened = true
        void this.#hello(socket as ClientSocket)
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
    let auth: unknown
    try {
      auth = typeof this.#auth === 'function' ? await (this.#auth as () => unknown)() : this.#auth
    } catch (error) {
      this.#emit('error', new RealtimeError(ErrorCode.Unauthorized, 'The auth function failed', { cause: error }))
      if (this.#socket === socket) this.#lose('transport-close')
      return
    }
    if (this.#socket === socket) socket.send(encodeFrame({ t: 'hello', v: PROTOCOL_VERSION, auth }))
  }

  #receive(text: string): void {
    this.#heartbeat.seen()
    let frame: ServerFrame
    try {
      frame = decodeServerFrame(text)
    } catch (error) {
      this.#emit('error', error as RealtimeError)
      return
    }
    switch (frame.t) {
      case 'welcome':
        return this.#welcome(frame)
      case 'ping':
        return this.#send({ t: 'pong' })
      case 'event':
        return this.#event(frame)
      case 'ack':
        this.#acks.settle(frame)
        return
      case 'error':
        if (this.#state !== 'connected') this.#refusal = frame
        else this.#emit('error', new RealtimeError(frame.code, frame.message))
    }
  }

  #welcome(frame: WelcomeFrame): void {
    if (this.#state === 'connected') return
    clearTimeout(this.#timer)
    const reconnected = this.#everConnected
    const attempts = this.#attempt
    this.#state = 'connected'
    this.#everConnected = true
    this.#attempt = 0
    this.#sessionId = frame.sid
    this.#maxPayload = frame.maxPayload
    this.#heartbeat.start(frame.pingInterval + frame.pingTimeout)
    const wanted = [...this.#channels.values()].filter((channel) => channel.wanted)
    if (wanted.length > 0) this.#subscribe(wanted)
    for (const queued of this.#queue.takeAll()) this.#socket?.send(queued.encoded)
    if (reconnected) this.#emit('reconnect', { attempts })
    this.#emit('connect')
  }

  #subscribe(channels: Channel[]): void {
    const { id, promise } = this.#acks.create(this.#ackTimeoutMs, 'subscribe')
    this.#send({ t: 'sub', id, ch: channels.map((channel) => channel.name) })
    promise.then(
      (results) => {
        for (const result of results as SubscribeResult[]) {
          const channel = this.#channels.get(result.ch)
          channel?.subscribed(result.err)
          if (result.err !== undefined) this.#emit('error', new RealtimeError(result.err.code, `${result.err.message} (channel "${result.ch}")`))
        }
      },
      (error: RealtimeError) => {
        // A dropped connection resubscribes on reconnect; anything else ends the attempt.
        if (error.code !== ErrorCode.Disconnected) for (const channel of channels) channel.failed(error)
      },
    )
  }

  #event(frame: EventFrame): void {
    if (frame.ch !== undefined) this.#channels.get(frame.ch)?.dispatch(frame.e, frame.d)
    const outcome = this.#listeners.call(frame.e, frame.d)
    const id = frame.id
    if (id === undefined) {
      if (outcome !== undefined && 'error' in outcome) reportError(outcome.error)
      return
    }
    if (outcome === undefined) {
      this.#send({ t: 'ack', id, err: { code: ErrorCode.UnknownEvent, message: `No listener for "${frame.e}"` } })
      return
    }
    ;('error' in outcome ? Promise.reject(outcome.error) : Promise.resolve(outcome.value)).then(
      (result) => this.#send({ t: 'ack', id, d: result }),
      (error: unknown) =>
        this.#send({
          t: 'ack',
          id,
          err: isRealtimeError(error) ? { code: error.code, message: error.message } : { code: ErrorCode.HandlerError, message: 'The listener failed' },
        }),
    )
  }

  #closed(code: number, reason: string): void {
    clearTimeout(this.#timer)
    this.#heartbeat.stop()
    this.#socket = undefined
    const wasConnected = this.#state === 'connected'
    const lost = this.#lostReason
    const refused = lost === undefined && this.#opened && !wasConnected && isFinalCloseCode(code)
    const final = refused || (lost === undefined && isFinalCloseCode(code)) || this.#reconnection === false
    this.#acks.rejectAll(new RealtimeError(ErrorCode.Disconnected, 'The connection dropped before the server answered'))
    if (wasConnected) this.#emit('disconnect', { reason: lost ?? disconnectReason(code), code, willReconnect: !final })
    if (refused) {
      const error = new RealtimeError(
        this.#refusal?.code ?? errorCodeForClose(code) ?? ErrorCode.Forbidden,
        this.#refusal?.message ?? (reason || 'The server refused the connection'),
      )
      this.#stop(error)
      this.#emit('error', error)
    } else if (final) {
      this.#stop(new RealtimeError(ErrorCode.Closed, 'The connection was closed and will not be reopened'))
    } else if (!this.#opened && this.#transportIndex + 1 < this.#transports.length) {
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

  #stop(error: RealtimeError): void {
    this.#state = 'disconnected'
    this.#abandon(error)
  }

  #abandon(error: RealtimeError): void {
    this.#acks.rejectAll(error)
    this.#queue.clear(error)
    for (const channel of this.#channels.values()) channel.failed(error)
  }

  /** Drops the current socket as if the network had failed. */
  #lose(reason: DisconnectReason): void {
    this.#lostReason = reason
    const socket = this.#socket
    socket?.close(4000, reason)
  }

  #closeSocket(): void {
    this.#heartbeat.stop()
    const socket = this.#socket
    this.#socket = undefined
    socket?.close(1000, 'client disconnect')
  }

  #send(frame: ClientFrame): void {
    this.#socket?.send(encodeFrame(frame))
  }

  #emit<K extends keyof ClientLifecycleEvents>(event: K, ...args: Parameters<ClientLifecycleEvents[K]>): void {
    const outcome = this.#listeners.call(event, args[0])
    if (outcome !== undefined && 'error' in outcome) reportError(outcome.error)
  }
}

function disconnectReason(code: number): DisconnectReason {
  if (code === CloseCode.Normal) return 'server'
  if (code === CloseCode.GoingAway) return 'server-shutdown'
  return isFinalCloseCode(code) ? 'refused' : 'transport-close'
}
