import { randomBytes } from 'node:crypto'
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
  type Logger,
  type ServerSocket,
  type ServerSocketListener,
  type RequestInfo,
  type ServerTransport,
  type TransportHost,
} from '@org/realtime-core'
import { errorResponse } from '@org/realtime-core/http'
import { webSocketTransport } from '@org/realtime-transport-ws/server'
import { memoryAdapter, type Adapter } from './adapter.js'
import { BroadcastOperator } from './broadcast.js'
import { Connection, type ConnectionHost, type DisconnectInfo } from './connection.js'
import { startHandshake } from './internal/handshake.js'
import { Heartbeat } from './internal/heartbeat.js'
import { interceptRequests } from './internal/intercept-requests.js'
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
  readonly #authenticate: (handshake: Handshake) => TData | Promise<TData>
  readonly #authorize: Authorize<TData>
  readonly #expiresAt: ((data: TData) => number | Date | undefined) | undefined
  readonly #connectionMiddleware: ConnectionMiddleware<TData>[] = []
  readonly #eventMiddleware: EventMiddleware<TData>[] = []
  readonly #options: Required<
    Pick<RealtimeServerOptions<TData>, 'pingIntervalMs' | 'pingTimeoutMs' | 'handshakeTimeoutMs' | 'maxPayload' | 'ackTimeoutMs' | 'closeTimeoutMs'>
  >
  readonly #logger: Logger
  readonly #host: ConnectionHost<TData>
  readonly #pendingSockets = new Set<ServerSocket>()
  readonly #hosts = new Map<ServerTransport, TransportHost>()
  readonly #addressLimiter: AddressLimiter | undefined
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
    this.#authenticate = options.authenticate ?? (() => ({}) as TData)
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
        conn.data = await this.#authenticated({ ...conn.handshake, auth })
        conn.expiresAt = this.#expiryOf(conn.data)
      },
      removed: (conn, info) => {
        this.#connections.delete(conn.id)
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
  async listen(port: number, options: AttachOptions & { host?: string } = {}): Promise<number> {
    const httpServer = createServer((_request, response) => {
      response.writeHead(404).end()
    })
    this.#ownHttpServer = httpServer
    this.attach(httpServer, options)
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject)
      httpServer.listen(port, options.host, () => {
        httpServer.off('error', reject)
        resolve()
      })
    })
    await this.#adapterReady
    return (httpServer.address() as AddressInfo).port
  }

  #start(): void {
    if (this.#closed) throw new RealtimeError(ErrorCode.Closed, 'The server is closed')
    this.#adapterReady ??= Promise.resolve(this.#adapter.init({ deliver: (packet) => deliver(packet, this.#connections, this.#rooms) }))
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
    for (const socket of this.#pendingSockets) socket.close(CloseCode.GoingAway, 'server shutting down')
    const deadline = setTimeout(() => {
      for (const conn of this.#connections.values()) conn.terminate()
      for (const socket of this.#pendingSockets) socket.terminate()
    }, this.#options.closeTimeoutMs)
    await Promise.all(gone)
    clearTimeout(deadline)
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

  #open(socket: ServerSocket, request: Parameters<typeof startHandshake>[1], transport: string): ServerSocketListener {
    if (this.#closed) {
      socket.close(CloseCode.GoingAway, 'server shutting down')
      return { message() {}, close() {} }
    }
    const address = request.remoteAddress
    const refusal = this.#addressLimiter?.admit(address)
    if (refusal !== undefined) {
      socket.send(encodeFrame({ t: 'error', ...refusal }))
      socket.close(CloseCode.RateLimited, refusal.code)
      return { message() {}, close() {} }
    }
    this.#pendingSockets.add(socket)
    const listener = startHandshake<Connection<TData>>(socket, request, transport, {
      handshakeTimeoutMs: this.#options.handshakeTimeoutMs,
      accept: (handshake) => this.#accept(socket, handshake),
      welcome: (conn) => this.#welcome(socket, conn),
      receive: (conn, text) => conn.receive(text),
      closed: (conn, code, reason) => conn.closed({ code, reason }),
    })
    return {
      message: (text) => listener.message(text),
      close: (code, reason) => {
        this.#pendingSockets.delete(socket)
        this.#addressLimiter?.release(address)
        listener.close(code, reason)
      },
    }
  }

  #welcome(socket: ServerSocket, conn: Connection<TData>): void {
    this.#pendingSockets.delete(socket)
    this.#connections.set(conn.id, conn)
    conn.welcome(
      encodeFrame({
        t: 'welcome',
        v: PROTOCOL_VERSION,
        sid: conn.id,
        pingInterval: this.#options.pingIntervalMs,
        pingTimeout: this.#options.pingTimeoutMs,
        maxPayload: this.#options.maxPayload,
        ...(conn.expiresAt === undefined ? {} : { expiresAt: conn.expiresAt }),
      }),
    )
    this.#notify('connection', conn)
  }

  /** Runs `authenticate`; any failure is `UNAUTHORIZED`, with the message of a thrown `RealtimeError`. */
  async #authenticated(handshake: Handshake): Promise<TData> {
    try {
      return (await this.#authenticate(handshake)) ?? ({} as TData)
    } catch (error) {
      throw new RealtimeError(ErrorCode.Unauthorized, isRealtimeError(error) ? error.message : 'Authentication failed')
    }
  }

  #expiryOf(data: TData): number | undefined {
    const expiry = this.#expiresAt?.(data)
    return expiry instanceof Date ? expiry.getTime() : expiry
  }

  async #accept(socket: ServerSocket, handshake: Handshake): Promise<Connection<TData>> {
    const data = await this.#authenticated(handshake)
    const conn = new Connection<TData>(randomBytes(15).toString('base64url'), socket, handshake, data, this.#host)
    conn.expiresAt = this.#expiryOf(data)
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
