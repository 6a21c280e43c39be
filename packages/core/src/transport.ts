/**
 * The contract between the server or client and a transport. A transport moves text frames;
 * it knows nothing of rooms, events or acknowledgements.
 */

/** Name of a transport, as reported by the client and in handshakes. */
export type TransportName = 'websocket' | 'sse' | 'polling' | (string & {})

/** What the server knows about the request that opened a connection. */
export interface TransportRequest {
  /** Request URL path and query, e.g. `/realtime?v=1`. */
  url: string
  /** Request headers with lower-case names. */
  headers: Record<string, string | string[] | undefined>
  /** IP address of the peer, as seen by this process. */
  remoteAddress: string
}

/** One open connection, server side. */
export interface ServerSocket {
  /** Sends one encoded frame. Frames sent after `close` are dropped. */
  send(frame: string): void
  /** Closes with `code` after flushing what was sent. */
  close(code: number, reason?: string): void
  /** Drops the connection at once, without a close handshake. */
  terminate(): void
  /** Bytes queued for sending and not yet written to the network. */
  readonly bufferedAmount: number
  /**
   * Milliseconds the peer has been gone, read when the transport reports the connection closed:
   * for a transport that finds a drop by waiting for the peer's next request (an HTTP session
   * after `sessionTimeoutMs` without one). The server counts a dropped session's recovery window
   * from the drop, this long before the report.
   * @default 0 (absent: the peer just went)
   */
  readonly goneForMs?: number
}

/** Receives what arrives on one connection, server side. */
export interface ServerSocketListener {
  /** A frame arrived. */
  message(frame: string): void
  /** The connection is gone; called exactly once. */
  close(code: number, reason: string): void
}

/** What a server transport calls for each connection it accepts. */
export interface TransportHost {
  /** Largest frame to accept, in bytes. */
  readonly maxPayload: number
  /**
   * Milliseconds a connection closed by the server may take to deliver what it still holds before
   * it is cut off and its data let go (the server's `closeTimeoutMs`).
   * @default 1000 (when a host leaves it out)
   */
  readonly closeTimeoutMs?: number
  /**
   * Whether a request from `origin` (its `Origin` header, or null without one) may connect:
   * `'allowed'` (an allow-list admits it: HTTP transports answer with CORS headers),
   * `'refused'` (refuse with 403 and `FORBIDDEN`), or `'unchecked'` (no allow-list is set).
   */
  checkOrigin(origin: string | null): 'allowed' | 'refused' | 'unchecked'
  /** A connection was opened; returns where its frames go. */
  open(socket: ServerSocket, request: TransportRequest): ServerSocketListener
  /**
   * Has the node of a cluster that holds session `request.sid` answer a request this node
   * cannot (no sticky sessions behind a load balancer); resolves undefined when no node holds
   * it, or without a cluster adapter. HTTP transports call it for the requests of a session
   * they do not hold.
   */
  forward?(request: ForwardedRequest, timeoutMs: number): Promise<ForwardedAnswer | undefined>
}

/**
 * An HTTP request of a session held by another node of the cluster, as the node that received it
 * passes it on. JSON, so any cluster adapter can carry it.
 */
export interface ForwardedRequest {
  /** The transport's name (`sse`, `polling`). */
  readonly transport: string
  /** The session the request names. */
  readonly sid: string
  readonly method: string
  /** Path and query, e.g. `/realtime?transport=polling&sid=…`. */
  readonly url: string
  /** Headers with lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  /** The body as text (empty without one). */
  readonly body: string
  /** IP address of the client, as the receiving node saw it. */
  readonly remoteAddress: string
}

/** The answer of the node holding the session to a {@link ForwardedRequest}. */
export interface ForwardedAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** Minimal shape of a Node `http.Server`, so this package stays free of Node types. */
export interface HttpServerLike {
  on(event: string, listener: (...args: any[]) => void): unknown
  off(event: string, listener: (...args: any[]) => void): unknown
  listenerCount(event: string): number
}

/** Minimal shape of a Node `http.IncomingMessage`, so this package stays free of Node types. */
export interface NodeRequestLike {
  readonly method?: string | undefined
  readonly url?: string | undefined
  readonly headers: Record<string, string | string[] | undefined>
  /** Whether the whole body has arrived. */
  readonly complete: boolean
  readonly socket: { readonly remoteAddress?: string | undefined; destroy(): unknown } | null
  on(event: string, listener: (...args: any[]) => void): unknown
  off(event: string, listener: (...args: any[]) => void): unknown
}

/** Minimal shape of a Node `http.ServerResponse`, so this package stays free of Node types. */
export interface NodeResponseLike {
  writeHead(status: number, headers: Record<string, string>): unknown
  write(text: string): boolean
  end(text?: string): unknown
  destroy(): unknown
  readonly writableLength: number
  readonly writableFinished: boolean
  readonly closed?: boolean
  readonly socket: { destroy(): unknown } | null
  once(event: string, listener: (...args: any[]) => void): unknown
}

/** Who sent a fetch-API request, as far as the runtime knows. */
export interface RequestInfo {
  /** IP address of the peer; empty when the runtime does not say. */
  remoteAddress: string
  /** The request came from another node of the cluster ({@link TransportHost.forward}): it is not passed on again. */
  forwarded?: boolean
}

/**
 * Server half of a transport, e.g. `webSocketTransport()` from `@org/realtime-transport-ws/server`.
 * A transport implements `attach` (it needs the Node.js HTTP server, as WebSocket upgrades do),
 * `handle` (it speaks plain HTTP requests and responses, which any fetch-API runtime can serve),
 * or both.
 */
export interface ServerTransport {
  readonly name: TransportName
  /** Starts accepting connections on `server` under `path`. */
  attach?(server: HttpServerLike, path: string, host: TransportHost): void
  /**
   * Answers `request` if it belongs to this transport (the server has already matched the path);
   * returns undefined, synchronously, if it does not.
   */
  handle?(request: Request, info: RequestInfo, host: TransportHost): Promise<Response> | undefined
  /**
   * Answers a Node.js HTTP request if it belongs to this transport, writing to `response` itself
   * (no fetch `Request` or `Response` is built); returns undefined, synchronously, if it does not.
   * A Node.js server (`rt.attach`) prefers it to `handle`. The promise settles once the answer
   * has started.
   */
  serve?(request: NodeRequestLike, response: NodeResponseLike, host: TransportHost): Promise<void> | undefined
  /**
   * Whether the transport holds session `sid`: HTTP transports, whose sessions span many
   * requests, which a cluster may pass from the node that received them ({@link TransportHost.forward}).
   */
  holds?(sid: string): boolean
  /** Stops accepting connections. Open connections are closed by the server beforehand. */
  close(): Promise<void>
}

/** Receives what arrives on the client's connection. */
export interface ClientSocketListener {
  /** The connection is open and frames may be sent. */
  open(): void
  /** A frame arrived. */
  message(frame: string): void
  /**
   * The connection is gone or could not open; called exactly once. `status`: the HTTP status
   * the server refused the connection with, when the transport knows it (the client reports it in
   * its `connect_error` event).
   */
  close(code: number, reason: string, status?: number): void
}

/** The client's connection. */
export interface ClientSocket {
  /** Sends one encoded frame. */
  send(frame: string): void
  /** Closes the connection; `listener.close` still follows. */
  close(code?: number, reason?: string): void
  /** Tells the transport the server's `maxPayload`, for transports that batch frames. */
  setMaxPayload?(bytes: number): void
}

/** Client half of a transport, e.g. `webSocketTransport()` from `@org/realtime-transport-ws/client`. */
export interface ClientTransport {
  readonly name: TransportName
  /** Opens a connection to `url` (an `http(s)://` URL) and reports to `listener`. */
  open(url: string, listener: ClientSocketListener): ClientSocket
}
