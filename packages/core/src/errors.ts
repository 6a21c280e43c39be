/**
 * The keys of {@link ErrorCode}, in order. Each code is its key in SCREAMING_SNAKE_CASE
 * (`BadFrame`: `BAD_FRAME`), but `Internal`: `INTERNAL_ERROR`. Built from this one string, the
 * table costs browsers half of what the object written out does.
 */
const errorCodeKeys = 'BadFrame UnknownFrame UnsupportedVersion PayloadTooLarge InvalidPayload HandshakeTimeout Unauthorized Forbidden UnknownEvent HandlerError ListenerError Timeout Disconnected Closed QueueFull RateLimited LimitExceeded SlowConsumer TransportError Internal BadRequest UnknownSession TransportMismatch RequestInFlight OutcomeUnknown InvalidOffset InvalidSequence IdentityMismatch'

/**
 * Every error code the library puts on the wire or raises locally.
 * `docs/errors.md` lists what each one means and what to do about it.
 */
export const ErrorCode = /* @__PURE__ */ errorCodeTable() as {
  /** A frame could not be parsed or failed validation. */
  readonly BadFrame: 'BAD_FRAME'
  /** A frame had a `t` (type) this side does not accept. */
  readonly UnknownFrame: 'UNKNOWN_FRAME'
  /** The peer speaks a protocol version this side does not support. */
  readonly UnsupportedVersion: 'UNSUPPORTED_VERSION'
  /** A frame or payload exceeded `maxPayload`. */
  readonly PayloadTooLarge: 'PAYLOAD_TOO_LARGE'
  /** A payload could not be encoded as JSON (BigInt, circular structure…). */
  readonly InvalidPayload: 'INVALID_PAYLOAD'
  /** The handshake did not complete within `handshakeTimeoutMs`. */
  readonly HandshakeTimeout: 'HANDSHAKE_TIMEOUT'
  /** `authenticate` refused the connection. */
  readonly Unauthorized: 'UNAUTHORIZED'
  /** A connection middleware or `authorize` refused the request. */
  readonly Forbidden: 'FORBIDDEN'
  /** An acknowledged event arrived for which no handler is registered. */
  readonly UnknownEvent: 'UNKNOWN_EVENT'
  /** An event handler threw an error that was not a `RealtimeError`. */
  readonly HandlerError: 'HANDLER_ERROR'
  /** A client listener threw or rejected: reported by the client's lifecycle `error` event, with the exception as `cause`. */
  readonly ListenerError: 'LISTENER_ERROR'
  /** An acknowledgement did not arrive within its timeout. */
  readonly Timeout: 'TIMEOUT'
  /** The connection dropped while an acknowledgement was pending: the outcome is unknown. */
  readonly Disconnected: 'DISCONNECTED'
  /** The client or server was closed on purpose; pending work was abandoned. */
  readonly Closed: 'CLOSED'
  /** The offline queue was full. */
  readonly QueueFull: 'QUEUE_FULL'
  /** A rate limit refused the frame or the connection; retry after `retryAfterMs`. */
  readonly RateLimited: 'RATE_LIMITED'
  /** A count limit (connections per address, subscriptions per connection) refused the request. */
  readonly LimitExceeded: 'LIMIT_EXCEEDED'
  /** The client read too slowly: its connection's send queue outgrew `maxBufferedBytes`. */
  readonly SlowConsumer: 'SLOW_CONSUMER'
  /** No transport could open a connection. */
  readonly TransportError: 'TRANSPORT_ERROR'
  /** The server failed in a way that is its own bug; details are in its logs, not on the wire. */
  readonly Internal: 'INTERNAL_ERROR'
  /** An HTTP request an HTTP transport cannot serve: a missing parameter or a wrong method. */
  readonly BadRequest: 'BAD_REQUEST'
  /** An HTTP transport request named a session that does not exist (any more). */
  readonly UnknownSession: 'UNKNOWN_SESSION'
  /** An HTTP transport request named a session that belongs to another transport. */
  readonly TransportMismatch: 'TRANSPORT_MISMATCH'
  /** A second long-poll or POST arrived while one was still in flight for the same session. */
  readonly RequestInFlight: 'REQUEST_IN_FLIGHT'
  /**
   * The connection dropped after a frame was sent and the session could not be resumed: the
   * server may or may not have handled it.
   */
  readonly OutcomeUnknown: 'OUTCOME_UNKNOWN'
  /** A channel offset a client resumes from is ahead of the channel (an offset from the future). */
  readonly InvalidOffset: 'INVALID_OFFSET'
  /** A session sequence number skipped ahead, or named frames the other side never sent. */
  readonly InvalidSequence: 'INVALID_SEQUENCE'
  /** The credentials of a resume or a renewal name another user than the session's (server option `identity`). */
  readonly IdentityMismatch: 'IDENTITY_MISMATCH'
}

/** {@link ErrorCode}, built from `errorCodeKeys`. */
function errorCodeTable(): Record<string, string> {
  const table = Object.fromEntries(errorCodeKeys.split(' ').map((key) => [key, key.replace(/\B[A-Z]/g, '_$&').toUpperCase()]))
  table.Internal = 'INTERNAL_ERROR'
  return table
}

/** One of the values of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** Whether `value` is one of the codes in {@link ErrorCode}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return (Object.values(ErrorCode) as unknown[]).includes(value)
}

/**
 * The one error class of the library. Its `code` says what happened; its message is for humans.
 *
 * Recognise it with {@link isRealtimeError} rather than `instanceof` when two copies of the
 * package may be loaded.
 */
export class RealtimeError extends Error {
  override readonly name = 'RealtimeError'

  /** For `RATE_LIMITED`: milliseconds to wait before sending again. */
  readonly retryAfterMs: number | undefined

  constructor(
    /** What went wrong, from {@link ErrorCode}, or an application code thrown by a handler. */
    readonly code: ErrorCode | (string & {}),
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options)
    this.retryAfterMs = options?.retryAfterMs
  }
}

/** Whether `error` is a {@link RealtimeError}, also when it comes from another copy of the package. */
export function isRealtimeError(error: unknown): error is RealtimeError {
  return (
    error instanceof RealtimeError ||
    (error instanceof Error && error.name === 'RealtimeError' && typeof (error as { code?: unknown }).code === 'string')
  )
}

/**
 * WebSocket close codes used by the protocol. 4xxx codes mirror HTTP statuses.
 * `docs/errors.md` says which ones the client retries.
 */
export const CloseCode = {
  /** Closed on purpose by either side. The client does not reconnect when the server sends it. */
  Normal: 1000,
  /** The server is shutting down or restarting. The client reconnects. */
  GoingAway: 1001,
  /** The connection ended without a close frame (network loss, killed process). The client reconnects. */
  Abnormal: 1006,
  /** Sent by the client when it drops a connection that went silent or did not open in time. It reconnects. */
  Stalled: 4000,
  /** A frame exceeded the server's `maxPayload`. The client reconnects. */
  MessageTooBig: 1009,
  /** The handshake was malformed. The client does not reconnect. */
  BadRequest: 4400,
  /** `authenticate` refused the connection. The client does not reconnect. */
  Unauthorized: 4401,
  /** A connection middleware refused the connection. The client does not reconnect. */
  Forbidden: 4403,
  /** No handshake arrived within `handshakeTimeoutMs`. The client reconnects. */
  HandshakeTimeout: 4408,
  /** The client's protocol version is not supported. The client does not reconnect. */
  UnsupportedVersion: 4426,
  /** Too many frames or connections: a rate or count limit was exceeded again and again. The client reconnects, after backing off. */
  RateLimited: 4429,
  /** The client did not read fast enough: its send queue outgrew the server's limit. The client reconnects. */
  SlowConsumer: 4503,
  /** The client's session sequence numbers did not follow on: the session ends. The client reconnects with a fresh one. */
  SessionReset: 4409,
} as const

/** One of the values of {@link CloseCode}. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/**
 * Whether a close with `code` sent by the server means "do not come back": a deliberate
 * disconnect, a refused handshake or an unsupported protocol version.
 */
export function isFinalCloseCode(code: number): boolean {
  // Normal, BadRequest, Unauthorized, Forbidden, UnsupportedVersion: numbers, which browser bundles
  // keep shorter than the names (the tests check them against `CloseCode`).
  return [1000, 4400, 4401, 4403, 4426].includes(code)
}

/** The close code that goes with refusing a handshake for `code`. */
export function closeCodeForRefusal(code: string): CloseCode {
  if (code === ErrorCode.Unauthorized) return CloseCode.Unauthorized
  if (code === ErrorCode.UnsupportedVersion) return CloseCode.UnsupportedVersion
  if (code === ErrorCode.BadFrame || code === ErrorCode.UnknownFrame) return CloseCode.BadRequest
  if (code === ErrorCode.RateLimited || code === ErrorCode.LimitExceeded) return CloseCode.RateLimited
  return CloseCode.Forbidden
}

/** The error code a client reports for a close with `code`, if the code carries one. */
export function errorCodeForClose(code: number): ErrorCode | undefined {
  return errorCodesByClose[code]
}

/** By close code, as numbers: shorter in browser bundles than `[CloseCode.X]` keys (the tests check them). */
const errorCodesByClose: Partial<Record<number, ErrorCode>> = {
  1009: ErrorCode.PayloadTooLarge, // MessageTooBig
  4400: ErrorCode.BadFrame, // BadRequest
  4401: ErrorCode.Unauthorized,
  4403: ErrorCode.Forbidden,
  4408: ErrorCode.HandshakeTimeout,
  4426: ErrorCode.UnsupportedVersion,
  4429: ErrorCode.RateLimited,
  4503: ErrorCode.SlowConsumer,
  4409: ErrorCode.InvalidSequence, // SessionReset
}
