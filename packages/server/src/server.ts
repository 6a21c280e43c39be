import { randomFillSync } from 'node:crypto'
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  RealtimeError,
  encodeFrame,
  isRealtimeError,
  silentLogger,
  type ErrorPayload,
  type HelloFrame,
  type Logger,
  type ServerSocket,
  type ServerSocketListener,
  type RequestInfo,
  type TransportName,
  type TransportRequest,
  type ServerTransport,
  type TransportHost,
  type WelcomeFrame,
} from '@org/realtime-core'
import { errorResponse } from '@org/realtime-core/http'
import { webSocketTransport } from '@org/realtime-transport-ws/server'
import { memoryAdapter, type Adapter } from './adapter.js'
import { BroadcastOperator } from './broadcast.js'
import { Connection, type ConnectionHost, type DisconnectInfo } from './connection.js'
import { Handshakes } from './internal/handshake.js'
import { Heartbeat } from './internal/heartbeat.js'
import { interceptRequests } from './internal/intercept-requests.js'
import { isThenable } from './internal/is-thenable.js'
import { originPolicy } from './internal/origin-policy.js'
import { serveWithFetch } from './internal/node-fetch-bridge.js'
import { TypedEmitter } from './typed-emitter.js'
import type {
  Authorize,
  ChannelAction,
  ConnectionMiddleware,
  EventMiddleware,
  Handshake,
  RealtimeServerOptions,
  RecoveryOptions,
} from './options.js'
import { AddressLimiter, ConnectionLimiter, rateLimits } from './rate-limit.js'
import { RoomRegistry } from './rooms.js'
import { deliver } from './internal/deliver.js'

/** Events of {@link RealtimeServer}. */
export type RealtimeServerEvents<TData> = {
  /** A client completed its handshake. */
  connection: (conn: Connection<TData>) => void
  /** A connection ended. */
  disconnect: (conn: Connection<TData>, info: DisconnectInfo) => void
}

const unknownSession: ErrorPayload = { code: ErrorCode.UnknownSession, message: 'No session to resume under this token (unknown, or ended)' }

/** A failed `authenticate` as the `UNAUTHORIZED` error the client gets. */
function unauthorized(error: unknown): RealtimeError {
  return new RealtimeError(ErrorCode.Unauthorized, isRealtimeError(error) ? error.message : 'Authentication failed')
}

/** The recovery settings with their defaults, or undefined when recovery is off. */
function recoveryOptions(options: RecoveryOptions | false | undefined): Required<RecoveryOptions> | undefined {
  if (options === false) return undefined
  const windowMs = options?.windowMs ?? 120_000
  return {
    windowMs,
    historySize: options?.historySize ?? 1000,
    historyAgeMs: options?.historyAgeMs ?? windowMs,
    sessionFrames: options?.sessionFrames ?? 1000,
  }
}

/**
 * Random bytes for session ids and resume tokens, drawn from the system's generator a pool at a
 * time: one call then serves hundreds of connections. Each byte is handed out once.
 */
const randomPool = Buffer.alloc(4096)
let randomOffset = randomPool.length

/** `bytes` fresh random bytes, as base64url. */
function randomId(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomFillSync(randomPool)
    randomOffset = 0
  }
  const id = randomPool.toString('base64url', randomOffset, randomOffset + bytes)
  randomOffset += bytes
  return id
}

/** Where the frames of a socket refused before its handshake go. */
const ignoreSocket: ServerSocketListener = { message() {}, close() {} }

/** The default `authorize`: clients join nothing by themselves. */
const refuseAll = (): boolean => false

/** Options of {@link RealtimeServer.attach}. */
export interface AttachOptions {
  /**
   * URL path the transports answer on.
   * @default '/realtime'
   */
  path?: string
}

/** Options of {@link RealtimeServer.listen}. */
export interface ListenOptions extends AttachOptions {
  /**
   * Address to listen on.
   * @default every address (`::`, or `0.0.0.0` without IPv6)
   */
  host?: string
  /**
   * Longest queue of connections the operating system accepts before the server takes them.
   * Raise it (and the system's `net.core.somaxconn`) for many clients connecting at once, as after
   * a deploy: a connection refused by a full queue waits a second or more before its next try.
   * @default 511
   */
  backlog?: number
}

/**
 * The realtime server: accepts clients over its transports, keeps rooms, and delivers events.
 *
 * @example
 * const rt = new RealtimeServer({ authenticate: (h) => ({ user: verify(h.auth) }) })
 * rt.on('connection', (conn) => conn.on('send', (msg) => rt.to('lobby').emit('message', msg)))
 * await rt.listen(3000)
 */
export class RealtimeServer<TData = Record<string, any>> extends TypedEmitter<RealtimeServerEvents<TData>> {
  readonly #connections = new Map<string, Connection<TData>>()
  readonly #rooms = new RoomRegistry<Connection<TData>>()
  readonly #transports: ServerTransport[]
  readonly #adapter: Adapter
  readonly #authenticate: (handshake: Handshake) => TData | undefined | Promise<TData | undefined>
  readonly #authorize: Authorize<TData>
  readonly #expiresAt: ((data: TData) => number | Date | undefined) | undefined
  readonly #connectionMiddleware: ConnectionMiddleware<TData>[] = []
  readonly #eventMiddleware: EventMiddleware<TData>[] = []
  readonly #options: Required<
    Pick<RealtimeServerOptions<TData>, 'pingIntervalMs' | 'pingTimeoutMs' | 'handshakeTimeoutMs' | 'maxPayload' | 'ackTimeoutMs' | 'closeTimeoutMs'>
  >
  readonly #logger: Logger
  readonly #host: ConnectionHost<TData>
  readonly #handshakes: Handshakes<Connection<TData>>
  readonly #hosts = new Map<ServerTransport, TransportHost>()
  readonly #addressLimiter: AddressLimiter | undefined
  readonly #recovery: Required<RecoveryOptions> | undefined
  /** Sessions a client may resume, by their secret token: open ones and detached ones. */
  readonly #sessions = new Map<string, Connection<TData>>()
  /** Detached sessions, with the timer that ends them. */
  readonly #detached = new Map<Connection<TData>, ReturnType<typeof setTimeout>>()
  #sweep: ReturnType<typeof setInterval> | undefined
  readonly #detach: Array<() => void> = []
  #heartbeat: Heartbeat | undefined
  #ownHttpServer: HttpServer | undefined
  #adapterReady: Promise<void> | undefined
  #closed = false

  constructor(options: RealtimeServerOptions<TData> = {}) {
    super()
    this.#transports = options.transports ?? [webSocketTransport()]
    this.#adapter = options.adapter ?? memoryAdapter()
    // No data until a connection's is first read (Connection.data).
    this.#authenticate = options.authenticate ?? (() => undefined)
    this.#authorize = options.authorize ?? refuseAll
    this.#expiresAt = options.expiresAt
    this.#logger = options.logger ?? silentLogger
    this.#options = {
      pingIntervalMs: options.pingIntervalMs ?? 25_000,
      pingTimeoutMs: options.pingTimeoutMs ?? 20_000,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      maxPayload: options.maxPayload ?? 1_048_576,
      ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 1_000,
    }
    this.#recovery = recoveryOptions(options.recovery)
    this.#handshakes = new Handshakes({
      handshakeTimeoutMs: this.#options.handshakeTimeoutMs,
      accept: (socket, handshake, hello) => this.#accept(socket, handshake, hello),
      welcome: (socket, conn) => this.#welcome(socket, conn),
      receive: (conn, text) => conn.receive(text),
      closed: (socket, conn, code, reason) => conn.closed({ code, reason }, socket),
      released: (remoteAddress) => this.#addressLimiter?.release(remoteAddress),
    })
    const checkOrigin = originPolicy(options.origins)
    for (const transport of this.#transports) {
      this.#hosts.set(transport, {
        maxPayload: this.#options.maxPayload,
        checkOrigin,
        open: (socket, request) => this.#open(socket, request, transport.name),
      })
    }
    const limits = options.rateLimit === false ? undefined : rateLimits(options.rateLimit)
    this.#addressLimiter = limits === undefined ? undefined : new AddressLimiter(limits)
    this.#host = {
      ackTimeoutMs: this.#options.ackTimeoutMs,
      maxBufferedBytes: options.maxBufferedBytes ?? 4_194_304,
      closeTimeoutMs: this.#options.closeTimeoutMs,
      subscriptionsPerConnection: limits?.subscriptionsPerConnection ?? Infinity,
      limiter: () => (limits === undefined ? undefined : new ConnectionLimiter(limits)),
      logger: this.#logger,
      eventMiddleware: this.#eventMiddleware,
      join: (conn, room) => this.#rooms.add(room, conn),
      leave: (conn, room) => this.#rooms.remove(room, conn),
      broadcast: (packet) => this.#adapter.broadcast(packet),
      authorize: (conn, channel, action) => this.#checkAuthorization(conn, channel, action),
      reauthenticate: async (conn, auth) => {
        // Without an authenticate hook there are no credentials to renew, and data stays as it is.
        if (options.authenticate === undefined) return
        conn.data = (await this.#authenticated({ ...conn.handshake, auth })) ?? ({} as TData)
        conn.expiresAt = this.#expiryOf(conn.data)
      },
      sessionFrames: this.#recovery?.sessionFrames,
      tokenReceived: (conn) => {
        this.#retireToken(conn.previousToken)
        conn.previousToken = undefined
      },
      history: () => this.#adapter.history,
      detached: (conn) => {
        this.#connections.delete(conn.id)
        const timer = setTimeout(() => conn.expireSession(), this.#recovery?.windowMs)
        timer.unref?.()
        this.#detached.set(conn, timer)
      },
      removed: (conn, info) => {
        this.#connections.delete(conn.id)
        this.#forgetSession(conn)
        this.#notify('disconnect', conn, info)
      },
    }
  }

  /** Open connections on this node, by id. */
  get connections(): ReadonlyMap<string, Connection<TData>> {
    return this.#connections
  }

  /**
   * Serves the transports on an existing HTTP server under `options.path`.
   * The HTTP server stays yours: `close()` does not close it.
   */
  attach(httpServer: HttpServer, options: AttachOptions = {}): this {
    this.#start()
    const path = options.path ?? '/realtime'
    for (const [transport, host] of this.#hosts) transport.attach?.(httpServer, path, host)
    if (this.#transports.some((transport) => transport.handle !== undefined)) {
      this.#detach.push(
        interceptRequests(httpServer, path, (request, response) => {
          void serveWithFetch(request, response, (fetchRequest, remoteAddress) => this.handleRequest(fetchRequest, { remoteAddress }), this.#logger)
        }),
      )
    }
    return this
  }

  /**
   * Answers a fetch-API request for the HTTP transports (SSE, long-polling), for runtimes without
   * a Node.js HTTP server: a Next.js route handler, Hono, Deno, Bun. Requests are told apart by
   * their `transport` query parameter, so route every method of one path here.
   *
   * @example
   * // app/realtime/route.ts
   * const handle = (request: Request) => rt.handleRequest(request)
   * export { handle as GET, handle as POST, handle as DELETE, handle as OPTIONS }
   */
  async handleRequest(request: Request, info: Partial<RequestInfo> = {}): Promise<Response> {
    // While closing, sessions still deliver their last frames; new ones are refused by #open.
    if (!this.#closed) this.#start()
    const requestInfo: RequestInfo = { remoteAddress: info.remoteAddress ?? '' }
    for (const [transport, host] of this.#hosts) {
      const answer = transport.handle?.(request, requestInfo, host)
      if (answer !== undefined) return answer
    }
    return errorResponse(400, ErrorCode.BadRequest, 'Name an HTTP transport (?transport=sse or ?transport=polling), or upgrade to WebSocket')
  }

  /**
   * Starts an HTTP server of its own on `port` (0 picks a free one) and attaches to it.
   * Resolves with the port it listens on. `close()` closes that HTTP server too.
   */
  async listen(port: number, options: ListenOptions = {}): Promise<number> {
    const httpServer = createServer((_request, response) => {
      response.writeHead(404).end()
    })
    this.#ownHttpServer = httpServer
    this.attach(httpServer, options)
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject)
      httpServer.listen({ port, host: options.host, backlog: options.backlog }, () => {
        httpServer.off('error', reject)
        resolve()
      })
    })
    await this.#adapterReady
    return (httpServer.address() as AddressInfo).port
  }

  #start(): void {
    if (this.#closed) throw new RealtimeError(ErrorCode.Closed, 'The server is closed')
    const history = this.#recovery === undefined ? undefined : { size: this.#recovery.historySize, ageMs: this.#recovery.historyAgeMs }
    this.#adapterReady ??= Promise.resolve(
      this.#adapter.init({
        deliver: (packet) => deliver(packet, this.#connections, this.#rooms),
        history,
        hasMembers: (room) => this.#rooms.members(room).size > 0,
      }),
    )
    this.#heartbeat ??= new Heartbeat(() => this.#connections.values(), this.#options.pingIntervalMs, this.#options.pingTimeoutMs)
    if (this.#addressLimiter !== undefined && this.#sweep === undefined) {
      const limiter = this.#addressLimiter
      this.#sweep = setInterval(() => limiter.sweep(), 10_000)
      this.#sweep.unref()
    }
  }

  /** Adds a connection middleware; they run in order after `authenticate`. Throw to refuse the connection. */
  use(middleware: ConnectionMiddleware<TData>): this {
    this.#connectionMiddleware.push(middleware)
    return this
  }

  /** Adds an event middleware; they run in order around every incoming event and client publish. */
  useEvent(middleware: EventMiddleware<TData>): this {
    this.#eventMiddleware.push(middleware)
    return this
  }

  /** Targets `room` (or several) for a broadcast, on every node. */
  to(room: string | readonly string[]): BroadcastOperator {
    return this.#operator().to(room)
  }

  /** Targets every connection except the members of `room` or the connection with that id. */
  except(roomOrId: string | readonly string[]): BroadcastOperator {
    return this.#operator().except(roomOrId)
  }

  /** Sends `event` to every connection on every node. */
  emit(event: string, data?: unknown): void {
    this.#operator().emit(event, data)
  }

  /**
   * Closes every connection (close code 1001: clients reconnect, to another node or after a
   * restart), stops the transports, and closes the HTTP server if `listen` started it.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#heartbeat?.stop()
    clearInterval(this.#sweep)
    const gone = [...this.#connections.values()].map(
      (conn) => new Promise<void>((resolve) => conn.on('disconnect', () => resolve())),
    )
    for (const conn of this.#connections.values()) conn.disconnect(CloseCode.GoingAway, 'server shutting down')
    for (const conn of [...this.#detached.keys()]) conn.disconnect(CloseCode.GoingAway, 'server shutting down')
    for (const socket of this.#handshakes.sockets()) socket.close(CloseCode.GoingAway, 'server shutting down')
    const deadline = setTimeout(() => {
      for (const conn of this.#connections.values()) conn.terminate()
      for (const socket of this.#handshakes.sockets()) socket.terminate()
    }, this.#options.closeTimeoutMs)
    await Promise.all(gone)
    clearTimeout(deadline)
    this.#handshakes.stop()
    await Promise.all(this.#transports.map((transport) => transport.close()))
    for (const detach of this.#detach.splice(0)) detach()
    await this.#adapter.close()
    const httpServer = this.#ownHttpServer
    if (httpServer !== undefined) {
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve())
        httpServer.closeAllConnections()
      })
    }
  }

  /** Emits a server event; a throwing listener is logged and never breaks the connection logic. */
  #notify<K extends keyof RealtimeServerEvents<TData>>(event: K, ...args: Parameters<RealtimeServerEvents<TData>[K]>): void {
    try {
      this.emitLocal(event, ...args)
    } catch (error) {
      this.#logger.error(`${event} listener threw`, { error })
    }
  }

  #operator(): BroadcastOperator {
    return new BroadcastOperator((packet) => this.#adapter.broadcast(packet))
  }

  #open(socket: ServerSocket, request: TransportRequest, transport: TransportName): ServerSocketListener {
    if (this.#closed) {
      socket.close(CloseCode.GoingAway, 'server shutting down')
      return ignoreSocket
    }
    const refusal = this.#addressLimiter?.admit(request.remoteAddress)
    if (refusal !== undefined) {
      socket.send(encodeFrame({ t: 'error', ...refusal }))
      socket.close(CloseCode.RateLimited, refusal.code)
      return ignoreSocket
    }
    return this.#handshakes.start(socket, request, transport)
  }

  #welcome(socket: ServerSocket, conn: Connection<TData>): void {
    if (conn.pendingResume !== undefined) return this.#resume(socket, conn)
    this.#connections.set(conn.id, conn)
    conn.welcome(this.#welcomeFrame(conn, conn.resumeError === undefined ? undefined : { err: conn.resumeError }))
    conn.resumeError = undefined
    this.#notify('connection', conn)
  }

  /** Gives the session back to its client on `socket`, under a new token; no `connection` event. */
  #resume(socket: ServerSocket, conn: Connection<TData>): void {
    const resumed = conn.resume(socket, (lost) =>
      this.#welcomeFrame(conn, { resumed: true, s: conn.lastReceived, ...(lost.length === 0 ? {} : { lost: [...lost] }) }),
    )
    if (!resumed) {
      // The session ended meanwhile, or can no longer replay what was asked: the retry starts afresh.
      conn.disconnect(CloseCode.SessionReset, ErrorCode.UnknownSession)
      socket.close(CloseCode.GoingAway, 'session ended')
      return
    }
    this.#connections.set(conn.id, conn)
  }

  /**
   * The `welcome` for `conn`, with a fresh resume token when its session can be resumed. The
   * token it replaces stays valid until the client shows it received this one (its first frame
   * after the welcome), so a welcome lost with its connection does not lose the session.
   */
  #welcomeFrame(conn: Connection<TData>, extra?: Pick<WelcomeFrame, 'err' | 'resumed' | 's' | 'lost'>): string {
    this.#stopWaiting(conn)
    this.#retireToken(conn.previousToken)
    conn.previousToken = conn.token
    conn.token = undefined
    if (conn.resumable) {
      // 128 random bits: as unguessable as a bearer secret needs, and 22 characters per session.
      conn.token = randomId(16)
      this.#sessions.set(conn.token, conn)
    }
    return encodeFrame({
      t: 'welcome',
      v: PROTOCOL_VERSION,
      sid: conn.id,
      pingInterval: this.#options.pingIntervalMs,
      pingTimeout: this.#options.pingTimeoutMs,
      maxPayload: this.#options.maxPayload,
      ...(conn.expiresAt === undefined ? {} : { expiresAt: conn.expiresAt }),
      ...(conn.token === undefined ? {} : { token: conn.token }),
      ...extra,
    })
  }

  #forgetSession(conn: Connection<TData>): void {
    this.#retireToken(conn.token)
    this.#retireToken(conn.previousToken)
    conn.token = conn.previousToken = undefined
    this.#stopWaiting(conn)
  }

  /** A detached session is back or gone: its window no longer runs. */
  #stopWaiting(conn: Connection<TData>): void {
    clearTimeout(this.#detached.get(conn))
    this.#detached.delete(conn)
  }

  #retireToken(token: string | undefined): void {
    if (token !== undefined) this.#sessions.delete(token)
  }

  /**
   * Runs `authenticate`; any failure is `UNAUTHORIZED`, with the message of a thrown `RealtimeError`.
   * A synchronous `authenticate` gives its data without a promise; undefined when it returned none.
   */
  #authenticated(handshake: Handshake): TData | undefined | Promise<TData | undefined> {
    let data: TData | undefined | PromiseLike<TData | undefined>
    try {
      data = this.#authenticate(handshake)
    } catch (error) {
      throw unauthorized(error)
    }
    if (!isThenable(data)) return data
    return Promise.resolve(data).then(undefined, (error: unknown) => {
      throw unauthorized(error)
    })
  }

  /** When the credentials of `data` expire, by the `expiresAt` option; `{}` stands for no data. */
  #expiryOf(data: TData | undefined): number | undefined {
    const expiry = this.#expiresAt?.(data ?? ({} as TData))
    return expiry instanceof Date ? expiry.getTime() : expiry
  }

  /** The connection for a valid `hello`; synchronous unless `authenticate` or a middleware is not. */
  #accept(socket: ServerSocket, handshake: Handshake, hello: HelloFrame): Connection<TData> | Promise<Connection<TData>> {
    const data = this.#authenticated(handshake)
    if (data instanceof Promise) return data.then((resolved) => this.#connectionFor(socket, handshake, hello, resolved))
    return this.#connectionFor(socket, handshake, hello, data)
  }

  /** The session `hello` resumes, or a new connection once the connection middleware accepted it. */
  #connectionFor(socket: ServerSocket, handshake: Handshake, hello: HelloFrame, data: TData | undefined): Connection<TData> | Promise<Connection<TData>> {
    let resumeError: ErrorPayload | undefined
    if (hello.resume !== undefined) {
      const session = this.#recovery === undefined ? undefined : this.#sessions.get(hello.resume.token)
      resumeError = session?.prepareResume(hello.resume, handshake) ?? (session === undefined ? unknownSession : undefined)
      if (session !== undefined && resumeError === undefined) {
        // The session keeps its data; the fresh credentials set when it expires.
        session.expiresAt = this.#expiryOf(data)
        return session
      }
      // A resume that failed its checks ends that session: its client starts afresh.
      session?.disconnect(CloseCode.SessionReset, resumeError?.code)
    }
    const recoverable = hello.resume !== undefined || hello.recoverable === true
    const conn = new Connection<TData>(randomId(15), socket, handshake, data, this.#host, recoverable)
    conn.resumeError = resumeError
    conn.expiresAt = this.#expiryOf(data)
    return this.#connectionMiddleware.length === 0 ? conn : this.#runConnectionMiddleware(conn)
  }

  async #runConnectionMiddleware(conn: Connection<TData>): Promise<Connection<TData>> {
    try {
      for (const middleware of this.#connectionMiddleware) await middleware(conn)
    } catch (error) {
      conn.closed({ code: CloseCode.Forbidden, reason: 'refused by middleware' })
      throw error
    }
    return conn
  }

  async #checkAuthorization(conn: Connection<TData>, channel: string, action: ChannelAction): Promise<ErrorPayload | undefined> {
    try {
      if (await this.#authorize(conn, channel, action)) return undefined
    } catch (error) {
      if (isRealtimeError(error)) return { code: error.code, message: error.message }
      this.#logger.error('authorize threw', { error, channel, action })
    }
    return { code: ErrorCode.Forbidden, message: `Not allowed to ${action} "${channel}"` }
  }
}
