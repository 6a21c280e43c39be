/**
 * Every error code the library puts on the wire or raises locally.
 * `docs/errors.md` lists what each one means and what to do about it.
 */
export const ErrorCode = {
  /** A frame could not be parsed or failed validation. */
  BadFrame: 'BAD_FRAME',
  /** A frame had a `t` (type) this side does not accept. */
  UnknownFrame: 'UNKNOWN_FRAME',
  /** The peer speaks a protocol version this side does not support. */
  UnsupportedVersion: 'UNSUPPORTED_VERSION',
  /** A frame or payload exceeded `maxPayload`. */
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  /** A payload could not be encoded as JSON (BigInt, circular structure…). */
  InvalidPayload: 'INVALID_PAYLOAD',
  /** The handshake did not complete within `handshakeTimeoutMs`. */
  HandshakeTimeout: 'HANDSHAKE_TIMEOUT',
  /** `authenticate` refused the connection. */
  Unauthorized: 'UNAUTHORIZED',
  /** A connection middleware or `authorize` refused the request. */
  Forbidden: 'FORBIDDEN',
  /** An acknowledged event arrived for which no handler is registered. */
  UnknownEvent: 'UNKNOWN_EVENT',
  /** An event handler threw an error that was not a `RealtimeError`. */
  HandlerError: 'HANDLER_ERROR',
  /** A client listener threw or rejected: reported by the client's lifecycle `error` event, with the exception as `cause`. */
  ListenerError: 'LISTENER_ERROR',
  /** An acknowledgement did not arrive within its timeout. */
  Timeout: 'TIMEOUT',
  /** The connection dropped while an acknowledgement was pending: the outcome is unknown. */
  Disconnected: 'DISCONNECTED',
  /** The client or server was closed on purpose; pending work was abandoned. */
  Closed: 'CLOSED',
  /** The offline queue was full. */
  QueueFull: 'QUEUE_FULL',
  /** A rate limit refused the frame or the connection; retry after `retryAfterMs`. */
  RateLimited: 'RATE_LIMITED',
  /** A count limit (connections per address, subscriptions per connection) refused the request. */
  LimitExceeded: 'LIMIT_EXCEEDED',
  /** The client read too slowly: its connection's send queue outgrew `maxBufferedBytes`. */
  SlowConsumer: 'SLOW_CONSUMER',
  /** No transport could open a connection. */
  TransportError: 'TRANSPORT_ERROR',
  /** The server failed in a way that is its own bug; details are in its logs, not on the wire. */
  Internal: 'INTERNAL_ERROR',
  /** An HTTP request an HTTP transport cannot serve: a missing parameter or a wrong method. */
  BadRequest: 'BAD_REQUEST',
  /** An HTTP transport request named a session that does not exist (any more). */
  UnknownSession: 'UNKNOWN_SESSION',
  /** An HTTP transport request named a session that belongs to another transport. */
  TransportMismatch: 'TRANSPORT_MISMATCH',
  /** A second long-poll or POST arrived while one was still in flight for the same session. */
  RequestInFlight: 'REQUEST_IN_FLIGHT',
  /**
   * The connection dropped after a frame was sent and the session could not be resumed: the
   * server may or may not have handled it.
   */
  OutcomeUnknown: 'OUTCOME_UNKNOWN',
  /** A channel offset a client resumes from is ahead of the channel (an offset from the future). */
  InvalidOffset: 'INVALID_OFFSET',
  /** A session sequence number skipped ahead, or named frames the other side never sent. */
  InvalidSequence: 'INVALID_SEQUENCE',
  /** The credentials of a resume or a renewal name another user than the session's (server option `identity`). */
  IdentityMismatch: 'IDENTITY_MISMATCH',
} as const

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
  return (
    code === CloseCode.Normal ||
    code === CloseCode.BadRequest ||
    code === CloseCode.Unauthorized ||
    code === CloseCode.Forbidden ||
    code === CloseCode.UnsupportedVersion
  )
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

const errorCodesByClose: Partial<Record<number, ErrorCode>> = {
  [CloseCode.MessageTooBig]: ErrorCode.PayloadTooLarge,
  [CloseCode.BadRequest]: ErrorCode.BadFrame,
  [CloseCode.Unauthorized]: ErrorCode.Unauthorized,
  [CloseCode.Forbidden]: ErrorCode.Forbidden,
  [CloseCode.HandshakeTimeout]: ErrorCode.HandshakeTimeout,
  [CloseCode.UnsupportedVersion]: ErrorCode.UnsupportedVersion,
  [CloseCode.RateLimited]: ErrorCode.RateLimited,
  [CloseCode.SlowConsumer]: ErrorCode.SlowConsumer,
  [CloseCode.SessionReset]: ErrorCode.InvalidSequence,
}
