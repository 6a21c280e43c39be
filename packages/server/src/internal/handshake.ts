import {
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  RealtimeError,
  closeCodeForRefusal,
  decodeClientFrame,
  encodeFrame,
  type ClientFrame,
  type HelloFrame,
  type ServerSocket,
  type ServerSocketListener,
  type TransportName,
  type TransportRequest,
} from '@org/realtime-core'
import type { Handshake } from '../types.js'
import { SharedValues } from './shared-values.js'
import { toErrorPayload } from './to-error-payload.js'

/** What the handshake needs from the server: one object for every connection. */
export interface HandshakeHost<TConn> {
  readonly handshakeTimeoutMs: number
  /**
   * Authenticates and builds (or finds, to resume) the connection; throws (or rejects) to refuse.
   * Returns the connection itself when nothing it runs is asynchronous.
   */
  accept(socket: ServerSocket, handshake: Handshake, hello: HelloFrame): TConn | Promise<TConn>
  /** Sends the welcome and announces the connection. */
  welcome(socket: ServerSocket, conn: TConn): void
  /** A frame arrived for the open connection. */
  receive(conn: TConn, text: string): void
  /** The open connection, or one accepted while its socket closed, is gone. */
  closed(socket: ServerSocket, conn: TConn, code: number, reason: string): void
  /** A socket opened by a peer at `remoteAddress` closed, whatever its handshake reached. */
  released(remoteAddress: string): void
}

const RESOLVED = Promise.resolve()

/** What a socket opened with, kept until its handshake is done. */
interface Opening {
  readonly request: TransportRequest
  readonly transport: TransportName
  /** When the handshake runs out of time, on the `performance.now()` clock. */
  readonly deadline: number
}

/**
 * The handshakes of a server's sockets. Each socket gets a {@link SocketHandshake}, which
 * receives its frames while it waits for `hello`, then for its connection. Every handshake has
 * the same time to complete, so the one that started first is due first: one timer, armed for
 * that one, watches them all.
 */
export class Handshakes<TConn> {
  readonly host: HandshakeHost<TConn>
  /** Header values many connections send alike, each kept once. */
  readonly sharedValues = new SharedValues()
  /** Sockets neither welcomed nor closed, in the order they opened, with what they opened with. */
  readonly #pending = new Map<SocketHandshake<TConn>, Opening>()
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(host: HandshakeHost<TConn>) {
    this.host = host
  }

  /** Starts the handshake of a socket that just opened; returns where its frames go. */
  start(socket: ServerSocket, request: TransportRequest, transport: TransportName): ServerSocketListener {
    const handshake = new SocketHandshake(this, socket, request.remoteAddress)
    this.#pending.set(handshake, { request, transport, deadline: performance.now() + this.host.handshakeTimeoutMs })
    this.#timer ??= setTimeout(this.#expire, this.host.handshakeTimeoutMs)
    const version = helloVersionInUrl(request.url)
    // After the transport has its listener: the handshake may send, or close, right away. A
    // resolved promise's reaction rather than `queueMicrotask`, which makes an AsyncResource for
    // each call; `helloInUrl` throws nothing (it refuses instead).
    if (version !== undefined) void RESOLVED.then(() => handshake.helloInUrl(version))
    return handshake
  }

  /** Sockets whose handshake is not done yet. */
  *sockets(): IterableIterator<ServerSocket> {
    for (const handshake of this.#pending.keys()) yield handshake.socket
  }

  /** What `handshake` opened with, while it is not done. */
  opening(handshake: SocketHandshake<TConn>): Opening | undefined {
    return this.#pending.get(handshake)
  }

  /**
   * `handshake` was welcomed, or its socket closed. The timer stays armed: when it fires and finds
   * nothing due it simply ends, which costs less than stopping and arming it again for every
   * connection of a busy server.
   */
  settled(handshake: SocketHandshake<TConn>): void {
    this.#pending.delete(handshake)
  }

  /** Stops the timer; the server is closing. */
  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Refuses the handshakes that ran out of time, and waits for the next one due. */
  readonly #expire = (): void => {
    this.#timer = undefined
    const now = performance.now()
    for (const [handshake, { deadline }] of this.#pending) {
      if (deadline > now) {
        this.#timer = setTimeout(this.#expire, deadline - now)
        return
      }
      handshake.timedOut()
    }
  }
}

/** Receives frames for a socket that is still in its handshake, then for its connection. */
export class SocketHandshake<TConn> implements ServerSocketListener {
  readonly socket: ServerSocket
  readonly #handshakes: Handshakes<TConn>
  readonly #remoteAddress: string
  #state: 'waiting' | 'authenticating' | 'open' | 'closed' = 'waiting'
  #conn: TConn | undefined

  constructor(handshakes: Handshakes<TConn>, socket: ServerSocket, remoteAddress: string) {
    this.#handshakes = handshakes
    this.socket = socket
    this.#remoteAddress = remoteAddress
  }

  message(text: string): void {
    if (this.#state === 'open') return this.#handshakes.host.receive(this.#conn as TConn, text)
    this.#begin(() => decodeClientFrame(text))
  }

  /**
   * The URL of the request that opened the transport said `hello=<version>`: the client's `hello`
   * is `{"t":"hello","v":<version>,"recoverable":true}`, sent before the transport opened.
   */
  helloInUrl(version: string): void {
    this.#begin(() => {
      if (!/^[0-9]{1,9}$/.test(version)) throw new RealtimeError(ErrorCode.BadFrame, 'Malformed hello: the URL\'s hello parameter must be the protocol version')
      return { t: 'hello', v: Number(version), recoverable: true }
    })
  }

  /** Runs the handshake on the client's first frame, which `read` decodes (and throws if it is malformed). */
  #begin(read: () => ClientFrame): void {
    if (this.#state !== 'waiting') return
    try {
      const accepted = this.#hello(read())
      // A synchronous `authenticate` and no middleware: welcomed in this turn, with no promise.
      if (!(accepted instanceof Promise)) return this.#open(accepted)
      accepted.then((conn) => this.#open(conn)).catch((error: unknown) => this.#refuse(error))
    } catch (error) {
      this.#refuse(error)
    }
  }

  close(code: number, reason: string): void {
    const wasOpen = this.#state === 'open'
    this.#state = 'closed'
    this.#handshakes.settled(this)
    const host = this.#handshakes.host
    host.released(this.#remoteAddress)
    if (wasOpen) host.closed(this.socket, this.#conn as TConn, code, reason)
  }

  /** The handshake ran out of time. */
  timedOut(): void {
    this.#refuse(new RealtimeError(ErrorCode.HandshakeTimeout, 'No handshake received in time'), CloseCode.HandshakeTimeout)
  }

  #refuse(error: unknown, closeCode?: number): void {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    const payload = toErrorPayload(error, ErrorCode.Forbidden)
    this.socket.send(encodeFrame({ t: 'error', code: payload.code, message: payload.message }))
    this.socket.close(closeCode ?? closeCodeForRefusal(payload.code), payload.code)
  }

  /** Checks `hello` and asks the server for the connection. */
  #hello(frame: ClientFrame): TConn | Promise<TConn> {
    if (frame.t !== 'hello') throw new RealtimeError(ErrorCode.BadFrame, 'Malformed frame: the first frame must be "hello"')
    if (frame.v !== PROTOCOL_VERSION) {
      throw new RealtimeError(ErrorCode.UnsupportedVersion, `Protocol version ${frame.v} is not supported; this server speaks ${PROTOCOL_VERSION}`)
    }
    this.#state = 'authenticating'
    const { request, transport } = this.#handshakes.opening(this) as Opening
    const shared = this.#handshakes.sharedValues
    shared.shareHeaders(request.headers)
    const handshake: Handshake = { auth: frame.auth, headers: request.headers, remoteAddress: request.remoteAddress, url: shared.shareUrl(request.url), transport }
    return this.#handshakes.host.accept(this.socket, handshake, frame)
  }

  /** The server accepted the connection: welcome it, unless its socket closed meanwhile. */
  #open(accepted: TConn): void {
    const host = this.#handshakes.host
    if (this.#state !== 'authenticating') {
      // The socket closed while middleware ran: release what the connection took (rooms).
      host.closed(this.socket, accepted, CloseCode.Abnormal, 'closed during the handshake')
      return
    }
    this.#state = 'open'
    this.#conn = accepted
    this.#handshakes.settled(this)
    host.welcome(this.socket, accepted)
  }
}

/**
 * The `hello` query parameter of the URL a transport opened with, if any: a client with nothing
 * secret to send names its protocol version there instead of sending `hello`, and saves a round
 * trip (docs/protocol.md, "Hello in the URL").
 */
function helloVersionInUrl(url: string): string | undefined {
  const query = url.indexOf('?')
  if (query === -1 || !url.includes('hello=', query)) return undefined
  return new URLSearchParams(url.slice(query + 1)).get('hello') ?? undefined
}
