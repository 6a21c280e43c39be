/**
 * WebSocket transport, server half, on `ws`.
 * @module @org/realtime-transport-ws/server
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { HttpServerLike, ServerSocket, ServerTransport, TransportHost } from '@org/realtime-core'
import { pathOf } from '@org/realtime-core/http'
import { WebSocketServer, type WebSocket } from 'ws'
import { FramedWriter } from './internal/framed-writer.js'

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
    const wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: host.maxPayload,
      perMessageDeflate: compressed,
    })
    const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      if (pathOf(request.url) !== path) {
        // Another upgrade listener may own this path; with none, the socket would hang forever.
        if (server.listenerCount('upgrade') === 1) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n')
        return
      }
      if (host.checkOrigin(request.headers.origin ?? null) === 'refused') {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n')
        return
      }
      wss.handleUpgrade(request, socket, head, (ws) => accept(ws, request, host, writer, compressed))
    }
    server.on('upgrade', onUpgrade)
    this.#detach.push(() => {
      server.off('upgrade', onUpgrade)
      wss.close()
    })
  }

  async close(): Promise<void> {
    for (const detach of this.#detach.splice(0)) detach()
  }
}

function accept(ws: WebSocket, request: IncomingMessage, host: TransportHost, writer: FramedWriter, compressed: boolean): void {
  const write = writer.forSocket(ws, compressed) ?? ((frame: string) => ws.send(frame))
  const socket: ServerSocket = {
    send: (frame) => {
      if (ws.readyState === ws.OPEN) write(frame)
    },
    close: (code, reason = '') => ws.close(code, fitCloseReason(reason)),
    terminate: () => ws.terminate(),
    get bufferedAmount() {
      return ws.bufferedAmount
    },
  }
  const listener = host.open(socket, {
    url: request.url ?? '/',
    headers: request.headers,
    remoteAddress: request.socket.remoteAddress ?? '',
  })
  // Set when ws refuses a frame; ws has then already sent this code in its close frame.
  let refusedWith: number | undefined
  ws.on('message', (data, isBinary) => {
    if (isBinary) ws.close(CLOSE_UNSUPPORTED_DATA, 'text frames only')
    else listener.message(String(data))
  })
  ws.on('error', (error: Error & { code?: string }) => {
    refusedWith = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? CLOSE_MESSAGE_TOO_BIG : CLOSE_PROTOCOL_ERROR
  })
  ws.once('close', (code, reason) => listener.close(refusedWith ?? code, String(reason)))
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
