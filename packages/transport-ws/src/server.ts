/**
 * WebSocket transport, server half, on `ws`.
 * @module @org/realtime-transport-ws/server
 */
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { HttpServerLike, ServerSocket, ServerSocketListener, ServerTransport, TransportHost } from '@org/realtime-core'
import { WebSocket, WebSocketServer, type RawData, type ServerOptions } from 'ws'
import { FramedWriter } from './internal/framed-writer.js'
import { interceptUpgrades, refuseUpgrade } from './internal/intercept-upgrades.js'

/** Options of the WebSocket server transport. */
export interface WebSocketServerTransportOptions {
  /**
   * Compress messages with permessage-deflate. Costs CPU and about 300 KB of memory per
   * busy connection; worth it only for large, repetitive payloads.
   * @default false
   */
  perMessageDeflate?: boolean
}

/**
 * The WebSocket transport for `RealtimeServer`, built on `ws`.
 *
 * @example
 * new RealtimeServer({ transports: [webSocketTransport()] })
 */
export function webSocketTransport(options: WebSocketServerTransportOptions = {}): ServerTransport {
  return new WebSocketServerTransport(options)
}

class WebSocketServerTransport implements ServerTransport {
  readonly name = 'websocket'
  readonly #options: WebSocketServerTransportOptions
  readonly #detach: Array<() => void> = []

  constructor(options: WebSocketServerTransportOptions) {
    this.#options = options
  }

  attach(server: HttpServerLike, path: string, host: TransportHost): void {
    const compressed = this.#options.perMessageDeflate ?? false
    const writer = new FramedWriter()
    // `closeTimeout` is ws's since 8.19; its types do not list it yet.
    const options: ServerOptions<typeof TransportWebSocket> & { closeTimeout: number } = {
      noServer: true,
      clientTracking: false,
      maxPayload: host.maxPayload,
      perMessageDeflate: compressed,
      WebSocket: TransportWebSocket,
      // A connection the server closes (a refused handshake, a per-address limit, a bad frame) is
      // destroyed if the peer has not answered the close frame by then, instead of after ws's 30 s.
      closeTimeout: host.closeTimeoutMs ?? 1_000,
    }
    const wss = new WebSocketServer(options)
    const stop = interceptUpgrades(server, path, (request, socket, head) => {
      if (host.checkOrigin(request.headers.origin ?? null) === 'refused') refuseUpgrade(socket, 403)
      else wss.handleUpgrade(request, socket, head, (ws) => accept(ws, request, host, writer, compressed))
    })
    this.#detach.push(() => {
      stop()
      wss.close()
    })
  }

  async close(): Promise<void> {
    for (const detach of this.#detach.splice(0)) detach()
  }
}

/**
 * Takes a new connection. Servers hold many idle connections, so each costs as little as can be:
 * the WebSocket carries the transport's state of it, which lets the same three functions listen
 * to every connection, and the server sends through one small {@link WebSocketServerSocket}.
 */
function accept(ws: TransportWebSocket, request: IncomingMessage, host: TransportHost, writer: FramedWriter, compressed: boolean): void {
  const socket = new WebSocketServerSocket(ws, writer, writer.target(ws, compressed))
  ws.listener = host.open(socket, {
    url: request.url ?? '/',
    headers: request.headers,
    remoteAddress: request.socket.remoteAddress ?? '',
  })
  // ws emits 'close' once.
  ws.on('message', onMessage).on('error', onError).on('close', onClose)
}

/** `ws`'s WebSocket with what the transport keeps of the connection; `WebSocketServer` creates these. */
class TransportWebSocket extends WebSocket {
  /** Where the connection's frames and its end go. */
  listener: ServerSocketListener = NO_LISTENER
  /** Set when ws refuses a frame; ws has then already sent this code in its close frame. */
  refusedWith: number | undefined
}

const NO_LISTENER: ServerSocketListener = { message() {}, close() {} }

// ws calls its listeners on the WebSocket they listen to: one of ours, created by our WebSocketServer.

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  if (isBinary) this.close(CLOSE_UNSUPPORTED_DATA, 'text frames only')
  else (this as TransportWebSocket).listener.message(String(data))
}

function onError(this: WebSocket, error: Error & { code?: string }): void {
  const ws = this as TransportWebSocket
  ws.refusedWith = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? CLOSE_MESSAGE_TOO_BIG : CLOSE_PROTOCOL_ERROR
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  const ws = this as TransportWebSocket
  ws.listener.close(ws.refusedWith ?? code, String(reason))
}

/** What the server sends through on one connection. */
class WebSocketServerSocket implements ServerSocket {
  readonly #ws: WebSocket
  readonly #writer: FramedWriter
  /** Where `#writer` writes this connection's frames; undefined when they go through `ws.send`. */
  readonly #target: Socket | undefined

  constructor(ws: WebSocket, writer: FramedWriter, target: Socket | undefined) {
    this.#ws = ws
    this.#writer = writer
    this.#target = target
  }

  send(frame: string): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return
    if (this.#target === undefined) this.#ws.send(frame)
    else this.#writer.write(this.#target, frame)
  }

  close(code: number, reason = ''): void {
    this.#ws.close(code, fitCloseReason(reason))
  }

  terminate(): void {
    this.#ws.terminate()
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount
  }
}

const CLOSE_PROTOCOL_ERROR = 1002
const CLOSE_UNSUPPORTED_DATA = 1003
const CLOSE_MESSAGE_TOO_BIG = 1009
const MAX_CLOSE_REASON_BYTES = 123

/** A close reason may hold at most 123 bytes of UTF-8; ws throws on longer ones. */
function fitCloseReason(reason: string): string {
  let fitted = reason
  while (Buffer.byteLength(fitted) > MAX_CLOSE_REASON_BYTES) fitted = fitted.slice(0, -1)
  return fitted
}
