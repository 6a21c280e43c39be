import { ErrorCode, isRealtimeError, type ErrorPayload } from '@org/realtime-core'

/**
 * What a client may learn of `error`: the code and message of a `RealtimeError`, which
 * application code threw on purpose, and nothing of any other error.
 */
export function toErrorPayload(error: unknown, fallback: string = ErrorCode.HandlerError): ErrorPayload {
  if (isRealtimeError(error)) return { code: error.code, message: error.message }
  return { code: fallback, message: fallback === ErrorCode.HandlerError ? 'The event handler failed' : 'Refused' }
}
