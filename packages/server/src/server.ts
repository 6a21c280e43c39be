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
import { memoryAdapter, type Adapter, type BroadcastOptions, type BroadcastPacket } from './adapter.js'
import type { HistoryStore, MaybePromise } from './history.js'
import { BroadcastOperator } from './broadcast.js'
import { Connection, type ConnectionHost, type DisconnectInfo } from './connection.js'
import { DetachedSessions } from './internal/detached-sessions.js'
import { Handshakes } from './internal/handshake.js'
import { Heartbeat } from './internal/heartbeat.js'
import { httpServerTimeouts } from './internal/http-server-timeouts.js'
import { interceptRequests } from './internal/intercept-requests.js'
import { defaultIdentity, identityKey } from './internal/identity.js'
import { isThenable } from './internal/is-thenable.js'
import { chain } from './internal/maybe-promise.js'
import { originPolicy } from './internal/origin-policy.js'
import { serveWithFetch } from './internal/node-fetch-bridge.js'
import { serveClient } from './internal/serve-client.js'
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
import { Plugins } from './internal/plugins.js'
import type { JoinReason, LeaveReason, RealtimePlugin } from './plugin.js'
import { RoomMembers } from './room-members.js'

/** Events of {@link RealtimeServer}. */
export type RealtimeServerEvents<TData> = {
  /** A client completed its handshake. */
  connection: (conn: Connection<TData>) => void
  /**
   * The transport of a resumable session dropped: the session waits `recovery.windowMs` for its
   * client, still in its rooms. Show the user as "away"; `disconnect` follows if it does not come back.
   */
  detached: (conn: Connection<TData>, info: DisconnectInfo) => void
  /** A detached session was resumed by its client. */
  resumed: (conn: Connection<TData>) => void
  /** A session ended: at once for a deliberate close, or when a detached session was not resumed in time. */
  disconnect: (conn: Connection<TData>, info: DisconnectInfo) => void
  /** A connection joined a room: by `conn.join()` or by subscribing. */
  join: (conn: Connection<TData>, room: string, reason: JoinReason) => void
  /** A connection left a room: by `conn.leave()`, by unsubscribing, or because its session ended. */
  leave: (conn: Connection<TData>, room: string, reason: LeaveReason) => void
}

const unknownSession: ErrorPayload = { code: ErrorCode.UnknownSession, message: 'No session to resume under this token (unknown, or ended)' }

const otherIdentity: ErrorPayload = { code: ErrorCode.IdentityMismatch, message: "These credentials name another user than the session's" }

/** Credentials whose `expiresAt` has passed, at a handshake or a renewal. */
function expiredCredentials(): RealtimeError {
  return new RealtimeError(ErrorCode.Unauthorized, 'The credentials have expired')
}

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
    historyChannels: options?.historyChannels ?? 10_000,
    historyBytes: options?.historyBytes ?? 67_108_864,
    replayBytes: options?.replayBytes ?? 1_048_576,
    historyPageBytes: options?.historyPageBytes ?? 262_144,
    sessionFrames: options?.sessionFrames ?? 1000,
    sessionBytes: options?.sessionBytes ?? 1_048_576,
    maxDetachedSessions: options?.maxDetachedSessions ?? 10_000,
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
  /**
   * Serves the client's browser build, for pages without a bundler, as Socket.IO serves
   * `/socket.io/socket.io.js`: `<path>/client.js` is a classic script that defines
   * `window.Realtime` (`new Realtime.RealtimeClient(url)`), `<path>/client.mjs` an ES module
   * (`import { RealtimeClient } from '/realtime/client.mjs'`), each with every transport and a
   * source map. Off by default, so `attach` adds no routes to an app that bundles its client.
   * Not available through `handleRequest` (fetch-API runtimes).
   * @default false
   */
  serveClient?: boolean
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
  /**
   * Milliseconds a client has to send the headers of a request, counted from its connection (or
   * from the start of its next request on a kept-alive one); then it gets 408 and its socket is
   * destroyed. Bounds how long a slow-headers attack (many sockets trickling partial headers, or
   * sending nothing) holds each socket. Capped at `requestTimeoutMs`; 0 turns it off.
   * Node.js's own default is 60000.
   * @default 10000
   */
  headersTimeoutMs?: number
  /**
   * Milliseconds a client has to send a whole request, headers and body. It stops counting once
   * the request has arrived, so SSE streams, held long-poll requests and WebSocket connections
   * last past it. 0 turns it off. Node.js's own default is 300000.
   * @default 30000
   */
  requestTimeoutMs?: number
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
  /** Detached sessions, each with the timer that ends it, at most so many per address and in all. */
  readonly #detached: DetachedSessions<Connection<TData>>
  /** Who `data` names, with `authenticate`; undefined without it (every connection is the same nobody). */
  readonly #identity: ((data: TData) => unknown) | undefined
  /** Who each connection's credentials named when it was opened, with `authenticate`. */
  readonly #identities = new WeakMap<Connection<TData>, string | symbol | undefined>()
  readonly #plugins: Plugins<TData>
  /** Connections that had their `connection` event: only they get `join`, `leave` and `disconnect` events. */
  readonly #announced = new WeakSet<Connection<TData>>()
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
    this.#identity = options.authenticate === undefined ? undefined : (options.identity ?? defaultIdentity)
    this.#logger = options.logger ?? silentLogger
    this.#plugins = new Plugins(this.#logger)
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
        closeTimeoutMs: this.#options.closeTimeoutMs,
        checkOrigin,
        open: (socket, request) => this.#open(socket, request, transport.name),
      })
    }
    const limits = options.rateLimit === false ? undefined : rateLimits(options.rateLimit)
    this.#addressLimiter = limits === undefined ? undefined : new AddressLimiter(limits)
    this.#detached = new DetachedSessions(
      this.#recovery?.windowMs ?? 0,
      this.#recovery?.maxDetachedSessions ?? 0,
      limits?.detachedSessionsPerIp ?? Infinity,
    )
    this.#host = {
      ackTimeoutMs: this.#options.ackTimeoutMs,
      maxBufferedBytes: options.maxBufferedBytes ?? 4_194_304,
      closeTimeoutMs: this.#options.closeTimeoutMs,
      subscriptionsPerConnection: limits?.subscriptionsPerConnection ?? Infinity,
      limiter: () => (limits === undefined ? undefined : new ConnectionLimiter(limits)),
      logger: this.#logger,
      eventMiddleware: this.#eventMiddleware,
      join: (conn, room, reason) => {
        if (!this.#rooms.add(room, conn) || !this.#announced.has(conn)) return
        this.#plugins.notify('onJoin', conn, room, reason)
        this.#notify('join', conn, room, reason)
      },
      leave: (conn, room, reason) => {
        if (!this.#rooms.remove(room, conn) || !this.#announced.has(conn)) return
        this.#plugins.notify('onLeave', conn, room, reason)
        this.#notify('leave', conn, room, reason)
      },
      guards: (hook) => this.#plugins.has(hook),
      guard: (hook, conn, channel) => this.#plugins.guard(hook, conn, channel),
      subscribed: (hook, conn, channel) => this.#plugins.notify(hook, conn, channel),
      broadcast: (packet) => this.#broadcast(packet),
      authorize: (conn, channel, action) => this.#checkAuthorization(conn, channel, action),
      reauthenticate: async (conn, auth) => {
        // Without an authenticate hook there are no credentials to renew, and data stays as it is.
        if (options.authenticate === undefined) return
        const data = (await this.#authenticated({ ...conn.handshake, auth })) ?? ({} as TData)
        const expiresAt = this.#unexpiredUntil(data)
        // Another user's credentials must not take over this session (and its rooms).
        if (this.#identityOf(data) !== this.#identities.get(conn)) throw new RealtimeError(otherIdentity.code, otherIdentity.message)
        conn.data = data
        conn.expiresAt = expiresAt
      },
      sessionFrames: this.#recovery?.sessionFrames,
      sessionBytes: this.#recovery?.sessionBytes,
      tokenReceived: (conn) => {
        this.#retireToken(conn.previousToken)
        conn.previousToken = undefined
      },
      history: (room) => this.#historyOf(room),
      replayBytes: this.#recovery?.replayBytes ?? 0,
      historyPageBytes: this.#recovery?.historyPageBytes ?? 0,
      detached: (conn, info, goneForMs) => {
        this.#connections.delete(conn.id)
        this.#plugins.notify('onDetached', conn, info)
        this.#notify('detached', conn, info)
        // May end the sessions of the address (or of the server) that have waited longest.
        this.#detached.add(conn, conn.handshake.remoteAddress, goneForMs)
      },
      removed: (conn, info) => {
        this.#connections.delete(conn.id)
        this.#forgetSession(conn)
        // Only a connection that was announced (open or detached) is announced gone: one refused
        // by middleware, or whose client hung up during the handshake, never had its `connection`.
        if (!this.#announced.has(conn)) return
        this.#plugins.notify('onDisconnect', conn, info)
        this.#notify('disconnect', conn, info)
      },
    }
    for (const plugin of options.plugins ?? []) this.use(plugin)
  }

  /** Open connections on this node, by id. */
  get connections(): ReadonlyMap<string, Connection<TData>> {
    return this.#connections
  }

  /**
   * Serves the transports on an existing HTTP server under `options.path`: its requests and
   * WebSocket upgrades for that path come here, and only here, whether the app's own listeners (an
   * Express app, another `WebSocketServer`) were added before or after; every other request and
   * upgrade goes to them. The HTTP server stays yours: `close()` does not close it, and its time
   * limits are yours to set. Node.js waits 60 s for a request's headers by default, which lets
   * sockets trickling partial headers pile up; give it the limits `listen` uses:
   *
   * @example
   * const server = http.createServer({ headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 }, app)
   * rt.attach(server, { path: '/realtime' })
   */
  attach(httpServer: HttpServer, options: AttachOptions = {}): this {
    this.#start()
    const path = options.path ?? '/realtime'
    if (options.serveClient === true) this.#detach.push(serveClient(httpServer, path))
    for (const [transport, host] of this.#hosts) transport.attach?.(httpServer, path, host)
    if (this.#transports.some((transport) => transport.handle !== undefined)) {
      this.#detach.push(
        interceptRequests(httpServer, path, (request, response) => {
          serveWithFetch(request, response, (fetchRequest, remoteAddress) => this.handleRequest(fetchRequest, { remoteAddress }), this.#logger).catch(
            (error: unknown) => {
              this.#logger.error('HTTP transport failed', { error })
              response.destroy()
            },
          )
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
   * Starts an HTTP server of its own on `port` (0 picks a free one) and attaches to it, with short
   * time limits on receiving requests (`headersTimeoutMs`, `requestTimeoutMs`). Resolves with the
   * port it listens on. `close()` closes that HTTP server too.
   */
  async listen(port: number, options: ListenOptions = {}): Promise<number> {
    const httpServer = createServer(httpServerTimeouts(options.headersTimeoutMs, options.requestTimeoutMs), (_request, response) => {
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
    const recovery = this.#recovery
    const history =
      recovery === undefined
        ? undefined
        : { size: recovery.historySize, ageMs: recovery.historyAgeMs, channels: recovery.historyChannels, bytes: recovery.historyBytes }
    this.#adapterReady ??= Promise.resolve(
      this.#adapter.init({
        deliver: (packet) => deliver(packet, this.#connections, this.#rooms),
        history,
        hasMembers: (room) => this.#rooms.members(room).size > 0,
        historySource: (room) => this.#plugins.claimant(room)?.history,
      }),
    )
    this.#heartbeat ??= new Heartbeat(() => this.#connections.values(), this.#options.pingIntervalMs, this.#options.pingTimeoutMs)
    if (this.#addressLimiter !== undefined && this.#sweep === undefined) {
      const limiter = this.#addressLimiter
      this.#sweep = setInterval(() => limiter.sweep(), 10_000)
      this.#sweep.unref()
    }
  }

  /**
   * Adds a plugin (see {@link RealtimePlugin}), or a connection middleware: middleware run in order
   * after `authenticate`, and throw to refuse the connection.
   * @throws Error for a plugin that claims a channel namespace another plugin claims.
   */
  use(pluginOrMiddleware: RealtimePlugin<TData> | ConnectionMiddleware<TData>): this {
    if (typeof pluginOrMiddleware === 'function') {
      this.#connectionMiddleware.push(pluginOrMiddleware)
      return this
    }
    const beforeEvent = this.#plugins.add(pluginOrMiddleware)
    if (beforeEvent !== undefined) this.#eventMiddleware.push(beforeEvent)
    pluginOrMiddleware.setup?.(this)
    return this
  }

  /**
   * The members of `room`: connections in it, those whose session waits for its client to resume
   * it included (`connected: false`).
   */
  in(room: string): RoomMembers<TData> {
    return new RoomMembers(room, () => this.#rooms.members(room), this.#adapter.members?.bind(this.#adapter))
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
  emit(event: string, data?: unknown): Promise<readonly number[]> {
    return this.#operator().emit(event, data)
  }

  /**
   * Broadcasts to this node's connections only: `rt.local.to(room).emit(…)`. A cluster adapter does
   * not send them to the other nodes; offsets are still assigned and history still kept.
   */
  get local(): BroadcastOperator {
    return new BroadcastOperator((packet) => this.#broadcast(packet, { local: true }))
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
    await this.#plugins.close()
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
    return new BroadcastOperator((packet) => this.#broadcast(packet))
  }

  /** Hands `packet` to the adapter; a failure it reports later is logged, so nobody has to await it. */
  #broadcast(packet: BroadcastPacket, options?: BroadcastOptions): MaybePromise<readonly number[]> {
    const offsets = this.#adapter.broadcast(packet, options)
    if (offsets instanceof Promise) offsets.catch((error: unknown) => this.#logger.error('broadcast failed', { error, event: packet.event, rooms: packet.rooms }))
    return offsets
  }

  /** The history of `room`: the plugin's that claims its namespace, or the adapter's. */
  #historyOf(room: string): HistoryStore | undefined {
    return this.#plugins.claimant(room)?.history ?? this.#adapter.history
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
    this.#announced.add(conn)
    this.#plugins.notify('onConnection', conn)
    // Rooms its connection middleware joined it to, now that it is announced.
    for (const room of conn.rooms) {
      this.#plugins.notify('onJoin', conn, room, 'join')
      this.#notify('join', conn, room, 'join')
    }
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
    this.#plugins.notify('onResumed', conn)
    this.#notify('resumed', conn)
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

  /**
   * When the credentials of `data` expire.
   * @throws RealtimeError `UNAUTHORIZED` when they already have: they are refused at once.
   */
  #unexpiredUntil(data: TData | undefined): number | undefined {
    const expiresAt = this.#expiryOf(data)
    if (expiresAt !== undefined && expiresAt <= Date.now()) throw expiredCredentials()
    return expiresAt
  }

  /**
   * Who `data` names, by the `identity` option, as a key to compare; undefined without
   * `authenticate`. An identity that cannot be compared (it throws, or is no JSON) is a symbol of
   * its own, equal to no other: resumes and renewals are refused.
   */
  #identityOf(data: TData | undefined): string | symbol | undefined {
    if (this.#identity === undefined) return undefined
    try {
      const key = identityKey(this.#identity(data ?? ({} as TData)))
      if (key !== undefined) return key
      this.#logger.warn('identity is no JSON value: resumes and renewals of this user are refused')
    } catch (error) {
      this.#logger.error('identity threw', { error })
    }
    return Symbol('no identity')
  }

  /** The connection for a valid `hello`; synchronous unless `authenticate` or a middleware is not. */
  #accept(socket: ServerSocket, handshake: Handshake, hello: HelloFrame): Connection<TData> | Promise<Connection<TData>> {
    const data = this.#authenticated(handshake)
    if (data instanceof Promise) return data.then((resolved) => this.#connectionFor(socket, handshake, hello, resolved))
    return this.#connectionFor(socket, handshake, hello, data)
  }

  /** The session `hello` resumes, or a new connection once the connection middleware accepted it. */
  #connectionFor(socket: ServerSocket, handshake: Handshake, hello: HelloFrame, data: TData | undefined): Connection<TData> | Promise<Connection<TData>> {
    const expiresAt = this.#unexpiredUntil(data)
    const identity = this.#identityOf(data)
    const resume = hello.resume
    const session = resume === undefined || this.#recovery === undefined ? undefined : this.#sessions.get(resume.token)
    if (resume === undefined) return this.#newConnection(socket, handshake, hello, data, expiresAt, identity, undefined)
    // Another user's credentials open that user's own session, and leave this one as it is.
    if (session !== undefined && identity !== this.#identities.get(session)) return this.#newConnection(socket, handshake, hello, data, expiresAt, identity, otherIdentity)
    if (session === undefined) return this.#newConnection(socket, handshake, hello, data, expiresAt, identity, unknownSession)
    return chain(session.prepareResume(resume, handshake), (resumeError) => {
      if (resumeError === undefined) {
        // The session keeps its data; the fresh credentials set when it expires.
        session.expiresAt = expiresAt
        return session
      }
      // A resume that failed its checks ends that session: its client starts afresh.
      session.disconnect(CloseCode.SessionReset, resumeError.code)
      return this.#newConnection(socket, handshake, hello, data, expiresAt, identity, resumeError)
    })
  }

  /** A new connection (told `resumeError` when it asked to resume), once the connection middleware accepted it. */
  #newConnection(
    socket: ServerSocket,
    handshake: Handshake,
    hello: HelloFrame,
    data: TData | undefined,
    expiresAt: number | undefined,
    identity: string | symbol | undefined,
    resumeError: ErrorPayload | undefined,
  ): Connection<TData> | Promise<Connection<TData>> {
    const recoverable = hello.resume !== undefined || hello.recoverable === true
    const conn = new Connection<TData>(randomId(15), socket, handshake, data, this.#host, recoverable)
    conn.resumeError = resumeError
    conn.expiresAt = expiresAt
    if (this.#identity !== undefined) this.#identities.set(conn, identity)
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

  /** Asks the plugin that claims `channel`'s namespace, which composes with the app's `authorize`, or the app's `authorize` alone. */
  async #checkAuthorization(conn: Connection<TData>, channel: string, action: ChannelAction): Promise<ErrorPayload | undefined> {
    const plugin = this.#plugins.claimant(channel)
    try {
      const allowed = plugin?.authorize === undefined ? this.#authorize(conn, channel, action) : plugin.authorize(conn, channel, action, this.#authorize)
      if (await allowed) return undefined
    } catch (error) {
      if (isRealtimeError(error)) return { code: error.code, message: error.message }
      this.#logger.error(plugin?.authorize === undefined ? 'authorize threw' : `plugin "${plugin.name}" authorize threw`, { error, channel, action })
    }
    return { code: ErrorCode.Forbidden, message: `Not allowed to ${action} "${channel}"` }
  }
}
