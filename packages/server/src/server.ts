import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  RealtimeError,
  encodeFrame,
  isRealtimeError,
  type ErrorPayload,
  type DefaultEvents,
  type EventArgs,
  type EventMap,
  type EventName,
  type HelloFrame,
  type ResumeRequest,
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
import { memoryAdapter, type Adapter, type AdapterNode, type BroadcastOptions, type BroadcastPacket, type SessionSnapshot } from './adapter.js'
import type { HistoryStore, MaybePromise } from './history.js'
import { broadcastOperator, type BroadcastOperator } from './broadcast.js'
import { coreOf, createConnection, type Connection } from './connection.js'
import { answerForwarded } from './internal/answer-forwarded.js'
import { authorizeChannel, optionsOf } from './internal/authorize-channel.js'
import { ConnectionCore, type ConnectionHost } from './internal/connection-core.js'
import { Handshakes } from './internal/handshake.js'
import { Heartbeat, type Beating } from './internal/heartbeat.js'
import { Inbound } from './internal/inbound.js'
import { httpServerTimeouts } from './internal/http-server-timeouts.js'
import { interceptRequests } from './internal/intercept-requests.js'
import { lazyWebSocketTransport } from './internal/lazy-websocket.js'
import { Credentials, otherIdentity } from './internal/credentials.js'
import { closeWithServer } from './internal/close-with-server.js'
import { clientAddressResolver } from './internal/client-address.js'
import { isThenable } from './internal/is-thenable.js'
import { chain } from './internal/maybe-promise.js'
import { originPolicy } from './internal/origin-policy.js'
import { serveWithFetch } from './internal/node-fetch-bridge.js'
import { serveNodeRequest } from './internal/serve-node-request.js'
import { randomId } from './internal/random-id.js'
import { prepareResume, resume } from './internal/resume.js'
import { serveClient } from './internal/serve-client.js'
import { SessionRegistry } from './internal/session-registry.js'
import { isSessionSnapshot, restoreSession, snapshotSession } from './internal/session-move.js'
import { TypedEmitter } from './typed-emitter.js'
import type { Authorize, ConnectionMiddleware, EventMiddleware } from './hooks.js'
import type { RealtimeServerOptions, RecoveryOptions } from './options.js'
import { AddressLimiter, ConnectionLimiter, rateLimits } from './rate-limit.js'
import { RoomRegistry } from './rooms.js'
import { deliver } from './internal/deliver.js'
import { loggerOf } from './internal/default-logger.js'
import { Plugins } from './internal/plugins.js'
import type { RealtimePlugin } from './plugin.js'
import { localMembers, roomMembers, type RoomMember, type RoomMembers } from './room-members.js'
import type { ChannelAction, Handshake, JoinReason } from './types.js'
import type { RealtimeServerEvents } from './server-events.js'
import type { PluginServer } from './plugin-server.js'

const unknownSession: ErrorPayload = { code: ErrorCode.UnknownSession, message: 'No session to resume under this token (unknown, or ended)' }

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
 * `TData` types each connection's `data` (what `authenticate` returns); `ListenEvents` the events
 * clients send and `EmitEvents` those the server sends (see `EventMap`; untyped by default). The
 * client takes the same two maps the other way round: `RealtimeClient<EmitEvents, ListenEvents>`.
 *
 * @example
 * const rt = new RealtimeServer<User, ClientEvents, ServerEvents>({ authenticate: (h) => verify(h.auth) })
 * rt.on('connection', (conn) => conn.on('send', (msg) => rt.to('lobby').emit('message', msg)))
 * await rt.listen(3000)
 */
export class RealtimeServer<
  TData = Record<string, any>,
  ListenEvents extends EventMap<ListenEvents> = DefaultEvents,
  EmitEvents extends EventMap<EmitEvents> = DefaultEvents,
>
  extends TypedEmitter<RealtimeServerEvents<TData, ListenEvents, EmitEvents>>
  implements PluginServer<TData, ListenEvents, EmitEvents>
{
  readonly #connections = new Map<string, Connection<TData>>()
  readonly #rooms = new RoomRegistry<ConnectionCore<Connection<TData>>>()
  readonly #transports: ServerTransport[]
  readonly #adapter: Adapter
  readonly #credentials: Credentials<TData>
  readonly #authorize: Authorize<TData>
  readonly #connectionMiddleware: ConnectionMiddleware<TData>[] = []
  readonly #eventMiddleware: EventMiddleware<TData>[] = []
  readonly #options: Required<
    Pick<RealtimeServerOptions<TData>, 'pingIntervalMs' | 'pingTimeoutMs' | 'handshakeTimeoutMs' | 'maxPayload' | 'ackTimeoutMs' | 'closeTimeoutMs'>
  >
  readonly #logger: Logger
  readonly #host: ConnectionHost<Connection<TData>>
  readonly #inbound: Inbound<TData>
  readonly #handshakes: Handshakes<Connection<TData>>
  readonly #hosts = new Map<ServerTransport, TransportHost>()
  readonly #addressLimiter: AddressLimiter | undefined
  readonly #recovery: Required<RecoveryOptions> | undefined
  /** The client's address for a request from a peer with an `X-Forwarded-For` header: the peer's unless `trustProxy` says so. */
  readonly #clientAddress: (peer: string, forwardedFor: string | string[] | undefined) => string
  /** Sessions a client may resume, by their tokens, and the detached ones waiting for their client. */
  readonly #sessions: SessionRegistry<Connection<TData>>
  readonly #plugins: Plugins<TData>
  #sweep: ReturnType<typeof setInterval> | undefined
  readonly #detach: Array<() => void> = []
  #heartbeat: Heartbeat | undefined
  #ownHttpServer: HttpServer | undefined
  #adapterReady: Promise<void> | undefined
  #closed = false

  constructor(options: RealtimeServerOptions<TData> = {}) {
    super()
    this.#adapter = options.adapter ?? memoryAdapter()
    this.#authorize = options.authorize ?? refuseAll
    this.#logger = loggerOf(options.logger)
    // The default WebSocket transport loads `ws` on the first `attach`, not with this module.
    this.#transports = options.transports ?? [lazyWebSocketTransport(this.#logger)]
    this.#credentials = new Credentials(options, this.#logger)
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
    this.#clientAddress = clientAddressResolver(options.trustProxy)
    this.#handshakes = new Handshakes({
      handshakeTimeoutMs: this.#options.handshakeTimeoutMs,
      accept: (socket, handshake, hello) => this.#accept(socket, handshake, hello),
      welcome: (socket, conn) => this.#welcome(socket, conn),
      receive: (conn, text) => this.#inbound.receive(coreOf(conn), text),
      closed: (socket, conn, code, reason) => coreOf(conn).closed({ code, reason }, socket),
      released: (remoteAddress) => this.#addressLimiter?.release(remoteAddress),
    })
    const checkOrigin = originPolicy(options.origins)
    for (const transport of this.#transports) {
      this.#hosts.set(transport, {
        maxPayload: this.#options.maxPayload,
        closeTimeoutMs: this.#options.closeTimeoutMs,
        checkOrigin,
        open: (socket, request) => this.#open(socket, request, transport.name),
        // Only a cluster adapter passes requests between nodes: without one, a request of a session
        // this node does not hold is answered at once, its body unread.
        ...(this.#adapter.forwardRequest === undefined ? {} : { forward: this.#adapter.forwardRequest.bind(this.#adapter) }),
      })
    }
    const limits = options.rateLimit === false ? undefined : rateLimits(options.rateLimit)
    this.#addressLimiter = limits === undefined ? undefined : new AddressLimiter(limits)
    this.#sessions = new SessionRegistry(
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
      join: (core, room, reason) => {
        const conn = core.conn
        if (!this.#rooms.add(room, core)) return
        if (this.#rooms.members(room).size === 1) this.#adapterCall('roomJoined', room)
        if (!core.announced) return
        this.#plugins.notify('onJoin', conn, room, reason)
        this.#notify('join', conn, room, reason)
      },
      leave: (core, room, reason) => {
        const conn = core.conn
        if (!this.#rooms.remove(room, core)) return
        if (this.#rooms.members(room).size === 0) this.#adapterCall('roomLeft', room)
        if (!core.announced) return
        this.#plugins.notify('onLeave', conn, room, reason)
        this.#notify('leave', conn, room, reason)
      },
      guards: (hook) => this.#plugins.has(hook),
      guard: (hook, conn, channel) => (hook === 'beforeSubscribe' ? this.#plugins.guard(hook, conn, channel, optionsOf(channel)) : this.#plugins.guard(hook, conn, channel)),
      subscribed: (hook, conn, channel) => this.#plugins.notify(hook, conn, channel),
      broadcast: (packet) => this.#broadcast(packet),
      authorize: (conn, channel, action) => this.#checkAuthorization(conn, channel, action),
      reauthenticate: async (conn, auth) => {
        const renewed = await this.#credentials.renewed(conn, conn.handshake, auth)
        if (renewed === undefined) return
        conn.data = renewed.data
        coreOf(conn).expiresAt = renewed.expiresAt
      },
      sessionFrames: this.#recovery?.sessionFrames,
      sessionBytes: this.#recovery?.sessionBytes,
      tokenReceived: (core) => this.#sessions.proven(core),
      history: (room) => this.#historyOf(room),
      replayBytes: this.#recovery?.replayBytes ?? 0,
      historyPageBytes: this.#recovery?.historyPageBytes ?? 0,
      detached: (conn, info, goneForMs) => {
        this.#connections.delete(conn.id)
        this.#plugins.notify('onDetached', conn, info)
        this.#notify('detached', conn, info)
        // May end the sessions of the address (or of the server) that have waited longest.
        this.#sessions.detach(coreOf(conn), conn.handshake.remoteAddress, goneForMs)
      },
      removed: (conn, info) => {
        this.#connections.delete(conn.id)
        this.#sessions.forget(coreOf(conn))
        // Only a connection that was announced (open or detached) is announced gone: one refused
        // by middleware, or whose client hung up during the handshake, never had its `connection`.
        if (!coreOf(conn).announced) return
        this.#plugins.notify('onDisconnect', conn, info)
        this.#notify('disconnect', conn, info)
      },
      moved: (conn) => {
        this.#connections.delete(conn.id)
        const core = coreOf(conn)
        this.#sessions.forget(core)
        if (!core.announced) return
        core.announced = false
        this.#plugins.notify('onMoved', conn)
        this.#notify('moved', conn)
      },
    }
    this.#inbound = new Inbound(this.#eventMiddleware)
    for (const plugin of options.plugins ?? []) this.use(plugin)
  }

  /**
   * The app's `authorize` (the option; the default refuses every channel), for plugins to compose
   * with: a plugin's requests of its own (a document's edits, say) ask it as a subscribe would.
   */
  get authorize(): Authorize<TData> {
    return this.#authorize
  }

  /** Open connections on this node, by id. */
  get connections(): ReadonlyMap<string, Connection<TData, ListenEvents, EmitEvents>> {
    return this.#connections as ReadonlyMap<string, Connection<TData, ListenEvents, EmitEvents>>
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
    // Closing the HTTP server (an app's SIGTERM handler, Fastify's `close()`) closes this server too.
    if (httpServer !== this.#ownHttpServer) this.#detach.push(closeWithServer(httpServer, () => this.close(), this.#logger))
    for (const [transport, host] of this.#hosts) transport.attach?.(httpServer, path, host)
    if (this.#transports.some((transport) => transport.handle !== undefined || transport.serve !== undefined)) {
      this.#detach.push(
        interceptRequests(httpServer, path, (request, response) => {
          // While closing, sessions still deliver their last frames; new ones are refused by #open.
          if (!this.#closed) this.#start()
          // The transport a request names answers it on Node.js's own objects; the fetch bridge takes the rest.
          if (serveNodeRequest(request, response, this.#hosts, this.#logger)) return
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
    const requestInfo: RequestInfo = { remoteAddress: info.remoteAddress ?? '', ...(info.forwarded === true ? { forwarded: true } : {}) }
    for (const [transport, host] of this.#hosts) {
      const answer = transport.handle?.(request, requestInfo, host)
      if (answer !== undefined) return answer
    }
    // A WebSocket upgrade that comes while the transports close arrives as a plain request: a
    // client that reconnects to this address must retry (a 4xx would make it give up).
    if (this.#closed) return errorResponse(503, ErrorCode.Closed, 'The server is shutting down: retry')
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
        members: (room) => localMembers(this.#rooms.members(room)) as RoomMember[],
        releaseSession: (token) => this.#releaseSession(token),
        answerRequest: (request) => answerForwarded(request, this.#hosts),
      }),
    )
    this.#heartbeat ??= new Heartbeat(() => coresOf(this.#connections), this.#options.pingIntervalMs, this.#options.pingTimeoutMs)
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
    // Plugins see the server with untyped event maps: they send and handle their own events.
    pluginOrMiddleware.setup?.(this as unknown as PluginServer<TData>)
    return this
  }

  /**
   * The members of `room`: connections in it, those whose session waits for its client to resume
   * it included (`connected: false`).
   */
  in(room: string): RoomMembers<TData> {
    return roomMembers(room, () => this.#rooms.members(room), this.#adapter.members?.bind(this.#adapter))
  }

  /** Adds an event middleware; they run in order around every incoming event and client publish. */
  useEvent(middleware: EventMiddleware<TData>): this {
    this.#eventMiddleware.push(middleware)
    return this
  }

  /** Targets `room` (or several) for a broadcast, on every node. */
  to(room: string | readonly string[]): BroadcastOperator<EmitEvents> {
    return this.#operator().to(room)
  }

  /** Targets every connection except the members of `room` or the connection with that id. */
  except(roomOrId: string | readonly string[]): BroadcastOperator<EmitEvents> {
    return this.#operator().except(roomOrId)
  }

  /** Sends `event` to every connection on every node. */
  emit<E extends EventName<EmitEvents>>(event: E, ...args: EventArgs<EmitEvents, E>): Promise<readonly number[]> {
    return this.#operator().emit(event, ...args)
  }

  /**
   * Broadcasts to this node's connections only: `rt.local.to(room).emit(…)`. A cluster adapter does
   * not send them to the other nodes; offsets are still assigned and history still kept.
   */
  get local(): BroadcastOperator<EmitEvents> {
    return broadcastOperator<EmitEvents>((packet) => this.#broadcast(packet, { local: true }))
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
    for (const core of [...this.#sessions.detached()]) core.disconnect(CloseCode.GoingAway, 'server shutting down')
    for (const socket of this.#handshakes.sockets()) socket.close(CloseCode.GoingAway, 'server shutting down')
    const deadline = setTimeout(() => {
      for (const conn of this.#connections.values()) conn.terminate()
      for (const socket of this.#handshakes.sockets()) socket.terminate()
    }, this.#options.closeTimeoutMs)
    await Promise.all(gone)
    clearTimeout(deadline)
    this.#handshakes.stop()
    await Promise.all(this.#transports.map((transport) => transport.close()))
    const httpServer = this.#ownHttpServer
    // An app's HTTP server gets its path back now; our own keeps answering 503 until it closes.
    if (httpServer === undefined) for (const detach of this.#detach.splice(0)) detach()
    await this.#plugins.close()
    await this.#adapter.close()
    if (httpServer !== undefined) {
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve())
        httpServer.closeAllConnections()
      })
      for (const detach of this.#detach.splice(0)) detach()
    }
  }

  /** Tells the adapter this node's first member joined, or its last left, a room; what it throws is logged. */
  #adapterCall(hook: 'roomJoined' | 'roomLeft', room: string): void {
    try {
      this.#adapter[hook]?.(room)
    } catch (error) {
      this.#logger.error(`adapter ${hook} threw`, { error, room })
    }
  }

  /** Emits a server event; a throwing listener is logged and never breaks the connection logic. */
  #notify<K extends keyof RealtimeServerEvents<TData>>(event: K, ...args: Parameters<RealtimeServerEvents<TData>[K]>): void {
    try {
      // The connections carried are typed by the server's event maps only at its surface.
      ;(this.emitLocal as (event: K, ...args: unknown[]) => boolean)(event, ...args)
    } catch (error) {
      this.#logger.error(`${event} listener threw`, { error })
    }
  }

  #operator(): BroadcastOperator<EmitEvents> {
    return broadcastOperator<EmitEvents>((packet) => this.#broadcast(packet))
  }

  /** Hands `packet` to the adapter; a failure it reports later is logged, so nobody has to await it. */
  #broadcast(packet: BroadcastPacket, options?: BroadcastOptions): MaybePromise<readonly number[]> {
    const offsets = this.#adapter.broadcast(packet, options)
    if (!isThenable(offsets)) return offsets
    // Any thenable an adapter returns, as a promise whose failure is handled (logged) here.
    const sent = Promise.resolve(offsets)
    sent.catch((error: unknown) => this.#logger.error('broadcast failed', { error, event: packet.event, rooms: packet.rooms }))
    return sent
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
    // Behind trusted proxies (`trustProxy`) the client's address, for the handshake and every per-address limit.
    const remoteAddress = this.#clientAddress(request.remoteAddress, request.headers['x-forwarded-for'])
    if (remoteAddress !== request.remoteAddress) request = { ...request, remoteAddress }
    const refusal = this.#addressLimiter?.admit(request.remoteAddress)
    if (refusal !== undefined) {
      socket.send(encodeFrame({ t: 'error', ...refusal }))
      socket.close(CloseCode.RateLimited, refusal.code)
      return ignoreSocket
    }
    return this.#handshakes.start(socket, request, transport)
  }

  #welcome(socket: ServerSocket, conn: Connection<TData>): void {
    const core = coreOf(conn)
    if (core.session?.pendingResume !== undefined) return this.#resume(socket, core)
    this.#connections.set(conn.id, conn)
    core.welcome(this.#welcomeFrame(core, core.resumeError === undefined ? undefined : { err: core.resumeError }))
    core.resumeError = undefined
    this.#announce(conn)
  }

  /**
   * `connection` for a new connection, or one whose session moved here; then `join` for the rooms
   * it is in already (by its connection middleware, or those it moved with).
   */
  #announce(conn: Connection<TData>): void {
    const core = coreOf(conn)
    const reason: JoinReason = core.movedIn ? 'moved' : 'join'
    core.announced = true
    this.#plugins.notify('onConnection', conn)
    for (const room of conn.rooms) {
      this.#plugins.notify('onJoin', conn, room, reason)
      this.#notify('join', conn, room, reason)
    }
    this.#notify('connection', conn)
  }

  /** Gives the session back to its client on `socket`, under a new token; no `connection` event. */
  #resume(socket: ServerSocket, core: ConnectionCore<Connection<TData>>): void {
    const conn = core.conn
    const resumed = resume(core, socket, (lost, presented) =>
      this.#welcomeFrame(core, { resumed: true, s: core.session?.received.last ?? 0, ...(lost.length === 0 ? {} : { lost: [...lost] }) }, presented),
    )
    if (!resumed) {
      // The session ended meanwhile, or can no longer replay what was asked: the retry starts afresh.
      core.disconnect(CloseCode.SessionReset, ErrorCode.UnknownSession)
      socket.close(CloseCode.GoingAway, 'session ended')
      return
    }
    this.#connections.set(conn.id, conn)
    if (core.movedIn) return this.#announce(conn)
    this.#plugins.notify('onResumed', conn)
    this.#notify('resumed', conn)
  }

  /**
   * The session of `token`, if this node holds one that can move: it leaves this node (see
   * {@link AdapterNode.releaseSession}) and its state is returned for the node its client resumes on.
   */
  #releaseSession(token: string): SessionSnapshot | undefined {
    const core = this.#sessions.find(token)
    const snapshot = core === undefined ? undefined : snapshotSession(core)
    if (snapshot !== undefined) core?.moveAway()
    return snapshot
  }

  /**
   * The `welcome` for `core`, with a fresh resume token when its session can be resumed (see
   * {@link SessionRegistry.issue}).
   */
  #welcomeFrame(core: ConnectionCore<Connection<TData>>, extra?: Pick<WelcomeFrame, 'err' | 'resumed' | 's' | 'lost'>, presented?: string): string {
    const token = this.#sessions.issue(core, presented)
    return encodeFrame({
      t: 'welcome',
      v: PROTOCOL_VERSION,
      sid: core.id,
      pingInterval: this.#options.pingIntervalMs,
      pingTimeout: this.#options.pingTimeoutMs,
      maxPayload: this.#options.maxPayload,
      ...(core.expiresAt === undefined ? {} : { expiresAt: core.expiresAt }),
      ...(token === undefined ? {} : { token }),
      ...extra,
    })
  }

  /** The connection for a valid `hello`; synchronous unless `authenticate` or a middleware is not. */
  #accept(socket: ServerSocket, handshake: Handshake, hello: HelloFrame): Connection<TData> | Promise<Connection<TData>> {
    const data = this.#credentials.authenticated(handshake)
    if (data instanceof Promise) return data.then((resolved) => this.#connectionFor(socket, handshake, hello, resolved))
    return this.#connectionFor(socket, handshake, hello, data)
  }

  /** The session `hello` resumes, or a new connection once the connection middleware accepted it. */
  #connectionFor(socket: ServerSocket, handshake: Handshake, hello: HelloFrame, data: TData | undefined): Connection<TData> | Promise<Connection<TData>> {
    const expiresAt = this.#credentials.unexpiredUntil(data)
    const identity = this.#credentials.identityOf(data)
    const resume = hello.resume
    const session = resume === undefined || this.#recovery === undefined ? undefined : this.#sessions.find(resume.token)
    if (resume === undefined) return this.#newConnection(socket, handshake, hello, data, expiresAt, identity, undefined)
    if (session === undefined) {
      if (this.#recovery === undefined || this.#adapter.takeSession === undefined) return this.#newConnection(socket, handshake, hello, data, expiresAt, identity, unknownSession)
      return this.#takeSession(socket, handshake, hello, data, resume.token)
    }
    return this.#resumeSession(session, socket, handshake, hello, data)
  }

  /** Asks the other nodes for the session `token` resumes, and resumes it here; or a new connection. */
  async #takeSession(socket: ServerSocket, handshake: Handshake, hello: HelloFrame, data: TData | undefined, token: string): Promise<Connection<TData>> {
    const expiresAt = this.#credentials.unexpiredUntil(data)
    const identity = this.#credentials.identityOf(data)
    let snapshot: SessionSnapshot | undefined
    try {
      snapshot = await (this.#adapter.takeSession as (token: string) => Promise<SessionSnapshot | undefined>)(token)
    } catch (error) {
      this.#logger.warn('the adapter could not move a session here', { error })
    }
    // Another node may have found it meanwhile: a session this node holds wins.
    const local = this.#sessions.find(token)
    if (local !== undefined) return this.#resumeSession(local, socket, handshake, hello, data)
    if (snapshot === undefined || !isSessionSnapshot(snapshot)) return this.#newConnection(socket, handshake, hello, data, expiresAt, identity, unknownSession)
    const core = restoreSession(snapshot, socket, handshake, this.#host)
    core.movedIn = true
    const conn = core.conn
    this.#credentials.remember(conn, this.#credentials.identityOf(conn.data))
    this.#sessions.adopt(core, handshake.remoteAddress)
    return this.#resumeSession(core, socket, handshake, hello, data)
  }

  /** Resumes the session of `session` on `socket`, or starts a new one when its checks fail. */
  #resumeSession(
    session: ConnectionCore<Connection<TData>>,
    socket: ServerSocket,
    handshake: Handshake,
    hello: HelloFrame,
    data: TData | undefined,
  ): Connection<TData> | Promise<Connection<TData>> {
    const expiresAt = this.#credentials.unexpiredUntil(data)
    const identity = this.#credentials.identityOf(data)
    const resume = hello.resume as ResumeRequest
    // Another user's credentials open that user's own session, and leave this one as it is.
    if (!this.#credentials.sameUser(session.conn, identity)) return this.#newConnection(socket, handshake, hello, data, expiresAt, identity, otherIdentity)
    return chain(prepareResume(session, resume, handshake), (resumeError) => {
      if (resumeError === undefined) {
        // The session keeps its data; the fresh credentials set when it expires.
        session.expiresAt = expiresAt
        return session.conn
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
    const core = new ConnectionCore<Connection<TData>>(socket, handshake, this.#host, recoverable)
    const conn = createConnection(randomId(15), data, core)
    core.resumeError = resumeError
    core.expiresAt = expiresAt
    this.#credentials.remember(conn, identity)
    return this.#connectionMiddleware.length === 0 ? conn : this.#runConnectionMiddleware(conn)
  }

  async #runConnectionMiddleware(conn: Connection<TData>): Promise<Connection<TData>> {
    try {
      for (const middleware of this.#connectionMiddleware) await middleware(conn)
    } catch (error) {
      coreOf(conn).closed({ code: CloseCode.Forbidden, reason: 'refused by middleware' })
      throw error
    }
    return conn
  }

  /** Asks the plugin that claims `channel`'s namespace, which composes with the app's `authorize`, or the app's `authorize` alone. */
  #checkAuthorization(conn: Connection<TData>, channel: string, action: ChannelAction): Promise<ErrorPayload | undefined> {
    return authorizeChannel(this.#plugins, this.#authorize, this.#logger, conn, channel, action)
  }
}

/** The internal state of each of `connections`, for the heartbeat. */
function* coresOf(connections: ReadonlyMap<string, Connection<any>>): IterableIterator<Beating> {
  for (const conn of connections.values()) yield coreOf(conn)
}
