import {
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  RealtimeError,
  closeCodeForRefusal,
  decodeClientFrame,
  encodeFrame,
  type HelloFrame,
  type ServerSocket,
  type ServerSocketListener,
  type TransportName,
  type TransportRequest,
} from '@org/realtime-core'
import type { Handshake } from '../options.js'
import { toErrorPayload } from './to-error-payload.js'

/** What the handshake needs from the server. */
export interface HandshakeHost<TConn> {
  readonly handshakeTimeoutMs: number
  /** Authenticates and builds (or finds, to resume) the connection; throws to refuse. */
  accept(handshake: Handshake, hello: HelloFrame): Promise<TConn>
  /** Sends the welcome and announces the connection. */
  welcome(conn: TConn): void
  /** A frame arrived for the open connection. */
  receive(conn: TConn, text: string): void
  /** The open connection, or one accepted while its socket closed, is gone. */
  closed(conn: TConn, code: number, reason: string): void
}

/** Receives frames for a connection that is still in its handshake, then for the connection. */
export function startHandshake<TConn>(
  socket: ServerSocket,
  request: TransportRequest,
  transport: TransportName,
  host: HandshakeHost<TConn>,
): ServerSocketListener {
  let conn: TConn | undefined
  let state: 'waiting' | 'authenticating' | 'open' | 'closed' = 'waiting'
  const timer = setTimeout(
    () => refuse(new RealtimeError(ErrorCode.HandshakeTimeout, 'No handshake received in time'), CloseCode.HandshakeTimeout),
    host.handshakeTimeoutMs,
  )

  const refuse = (error: unknown, closeCode?: number): void => {
    clearTimeout(timer)
    if (state === 'closed') return
    state = 'closed'
    const payload = toErrorPayload(error, ErrorCode.Forbidden)
    socket.send(encodeFrame({ t: 'error', code: payload.code, message: payload.message }))
    socket.close(closeCode ?? closeCodeForRefusal(payload.code), payload.code)
  }

  const hello = async (text: string): Promise<void> => {
    const frame = decodeClientFrame(text)
    if (frame.t !== 'hello') throw new RealtimeError(ErrorCode.BadFrame, 'Malformed frame: the first frame must be "hello"')
    if (frame.v !== PROTOCOL_VERSION) {
      throw new RealtimeError(ErrorCode.UnsupportedVersion, `Protocol version ${frame.v} is not supported; this server speaks ${PROTOCOL_VERSION}`)
    }
    state = 'authenticating'
    const handshake: Handshake = { auth: frame.auth, headers: request.headers, remoteAddress: request.remoteAddress, url: request.url, transport }
    const accepted = await host.accept(handshake, frame)
    if (state !== 'authenticating') {
      // The socket closed while middleware ran: release what the connection took (rooms).
      host.closed(accepted, CloseCode.Abnormal, 'closed during the handshake')
      return
    }
    clearTimeout(timer)
    state = 'open'
    conn = accepted
    host.welcome(accepted)
  }

  return {
    message(text) {
      if (state === 'open') return host.receive(conn as TConn, text)
      if (state !== 'waiting') return
      hello(text).catch((error: unknown) => refuse(error))
    },
    close(code, reason) {
      clearTimeout(timer)
      const wasOpen = state === 'open'
      state = 'closed'
      if (wasOpen) host.closed(conn as TConn, code, reason)
    },
  }
}
