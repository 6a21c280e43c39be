import {
  CloseCode,
  ErrorCode,
  RealtimeError,
  backoffDelay,
  type ClientSocket,
  type ClientSocketListener,
  type ClientTransport,
  type TransportName,
} from '@org/realtime-core'
import type { ConnectErrorEvent, DisconnectReason, ReconnectingEvent } from '../events.js'
import type { ReconnectionOptions } from '../options.js'
import { loadTransport, resolveTransport, type BuiltInTransportName, type LazyTransportName } from './load-transport.js'

/** Where the connector reports the socket's events, and asks for the next attempt. */
export interface ConnectorListener extends ClientSocketListener {
  /**
   * The connection is gone or could not open; called once per socket. `status`: the HTTP status
   * that refused it; `error`: the transport, named by string, could not be loaded.
   */
  close(code: number, reason: string, status?: number, error?: RealtimeError): void
  /** Opens a connection: called again for the next transport or after the backoff delay. */
  reopen(): void
}

/**
 * Chooses the transport and opens it: falls back to the next when one cannot open, reconnects with
 * the last one that worked, backs off between attempts, gives up on an attempt that takes longer
 * than `connectTimeoutMs`, and drops a connection on which the server went silent. Knows sockets,
 * not frames.
 */
export class Connector {
  /** The socket of the current attempt or connection. */
  socket_: ClientSocket | undefined
  /** Whether the current socket reached `open`. */
  opened_ = false
  /** Reconnection attempts since the last connection. */
  attempt_ = 0
  /** Why the client dropped the current socket itself (`drop`), if it did. */
  dropped_: DisconnectReason | undefined
  readonly #transports: Array<ClientTransport | LazyTransportName>
  readonly #reconnection: ReconnectionOptions | false
  readonly #timeoutMs: number
  readonly #listener: ConnectorListener
  #index = 0
  /** Counts the sockets asked for, so a transport that finishes loading late opens nothing. */
  #opens = 0
  /** The attempt's time limit, the backoff delay, or the heartbeat check of a connection: one at a time. */
  #timer: ReturnType<typeof setTimeout> | undefined
  /** When the last frame arrived. */
  #lastSeen = 0
  /** Whether the current socket was dropped for not connecting within the time limit. */
  #timedOut = false
  /**
   * Whether the server refused every transport tried since the last backoff with an HTTP status
   * that no retry changes: the URL serves no realtime endpoint.
   */
  refusedAll_ = true

  constructor(transports: Array<ClientTransport | BuiltInTransportName>, reconnection: ReconnectionOptions | false, timeoutMs: number, listener: ConnectorListener) {
    this.#transports = transports.map(resolveTransport)
    // `backoffDelay` has the delays' defaults, `retry` the attempts'.
    this.#reconnection = reconnection
    this.#timeoutMs = timeoutMs
    this.#listener = listener
  }

  /** Name of the transport in use or being tried. */
  get transport(): TransportName | undefined {
    const entry = this.#transports[this.#index]
    return typeof entry === 'string' ? entry : entry?.name
  }

  /** Opens the current transport on `url`, loading it first when it is named by string. */
  open(url: string): void {
    const index = this.#index
    const transport = this.#transports[index]
    if (transport === undefined) throw new RealtimeError(ErrorCode.TransportError, 'No transport configured')
    this.opened_ = false
    this.dropped_ = undefined
    this.#timedOut = false
    const opens = ++this.#opens
    if (typeof transport === 'string') {
      loadTransport(transport).then(
        (loaded) => {
          this.#transports[index] = loaded
          if (opens === this.#opens) this.open(url)
        },
        (error: unknown) => {
          const failure = new RealtimeError(ErrorCode.TransportError, `The ${transport} transport could not be loaded`, { cause: error })
          if (opens === this.#opens) this.#listener.close(CloseCode.Abnormal, 'transport not loaded', undefined, failure)
        },
      )
      return
    }
    const listener = this.#listener
    let socket: ClientSocket | undefined
    const current = (): boolean => socket !== undefined && this.socket_ === socket
    this.#timer = setTimeout(() => current() && (this.#timedOut = true) && this.drop_('transport-close'), this.#timeoutMs)
    socket = this.socket_ = transport.open(url, {
      open: () => {
        if (current()) {
          this.opened_ = true
          listener.open()
        }
      },
      message: (text) => current() && listener.message(text),
      close: (code, reason, status) => current() && this.#closed() && listener.close(code, reason, status),
    })
  }

  /**
   * The handshake succeeded: the attempt is over. From now on the server must be heard from every
   * `silenceMs` (its ping interval plus its ping timeout), or the connection is dropped.
   */
  connected_(silenceMs: number): void {
    clearTimeout(this.#timer)
    this.attempt_ = 0
    this.seen_()
    this.#watch(silenceMs, silenceMs)
  }

  /** A frame arrived. Cheap per frame: only stores a time. */
  seen_(): void {
    this.#lastSeen = Date.now()
  }

  /** Checks after `delayMs` whether the server was silent for `silenceMs`, and again when it was not. */
  #watch(silenceMs: number, delayMs: number): void {
    this.#timer = setTimeout(() => {
      const leftMs = this.#lastSeen + silenceMs - Date.now()
      if (leftMs > 0) this.#watch(silenceMs, leftMs)
      else this.drop_('heartbeat-timeout')
    }, delayMs)
  }

  /** Closes the socket without reporting it, and stops every attempt under way. */
  close(code: number, reason: string): void {
    const socket = this.socket_
    this.#closed()
    this.#opens++
    socket?.close(code, reason)
  }

  /**
   * Closes the socket as failed (`CloseCode.Stalled`), as if the network had: reconnection
   * follows. Reports the close when the transport does not.
   */
  drop_(reason: DisconnectReason): void {
    this.dropped_ = reason
    const socket = this.socket_
    socket?.close(CloseCode.Stalled, reason)
    if (socket !== undefined && this.socket_ === socket) this.#closed() && this.#listener.close(CloseCode.Stalled, reason)
  }

  /**
   * Whether a connection that just closed is followed by another attempt: not when `refused`
   * (a final close code), when `reconnection.maxAttempts` are used up, or when every transport
   * was refused with an HTTP `status` of 400 to 499 (but 408 and 429) before opening.
   */
  willRetry_(refused: boolean, status: number | undefined): boolean {
    this.refusedAll_ &&= !this.opened_ && status !== undefined && status > 399 && status < 500 && status !== 408 && status !== 429
    if (refused) return false
    if (this.#fallsBack()) return true
    const options = this.#reconnection
    return options !== false && !this.refusedAll_ && this.attempt_ < (options.maxAttempts ?? Infinity)
  }

  /** The `connect_error` event of the socket that just closed, `code` and `message`, before the server's welcome. */
  failure_(code: number, message: string, status: number | undefined, willRetry: boolean): ConnectErrorEvent {
    const cause = status !== undefined ? 'http-status' : this.#timedOut ? 'timeout' : this.opened_ ? 'closed' : 'unreachable'
    return { transport: this.transport as TransportName, cause, status, code, message, willRetry }
  }

  /**
   * After a close that `willRetry`: opens the next transport at once when the current one never
   * opened, or schedules a reconnection with backoff and returns it.
   */
  retry_(): ReconnectingEvent | undefined {
    if (this.#fallsBack()) {
      this.#index++
      this.#listener.reopen()
      return undefined
    }
    if (!this.opened_) this.#index = 0
    this.refusedAll_ = true
    const attempt = ++this.attempt_
    const delayMs = backoffDelay(attempt, this.#reconnection as ReconnectionOptions)
    this.#timer = setTimeout(() => this.#listener.reopen(), delayMs)
    return { attempt, delayMs }
  }

  /** Makes the reconnection that waits for its backoff delay now (the network is back). */
  hurry_(): void {
    if (this.socket_ === undefined) {
      clearTimeout(this.#timer)
      this.#listener.reopen()
    }
  }

  /** Whether the next transport is tried at once: trying it is part of the same attempt, not a reconnection. */
  #fallsBack(): boolean {
    return !this.opened_ && this.#index + 1 < this.#transports.length
  }

  /** Forgets the socket; true, for chaining. */
  #closed(): true {
    clearTimeout(this.#timer)
    this.socket_ = undefined
    return true
  }
}
