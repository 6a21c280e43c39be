import { describe, expect, it } from 'vitest'
import {
  CloseCode,
  ErrorCode,
  RealtimeError,
  closeCodeForRefusal,
  errorCodeForClose,
  isErrorCode,
  isFinalCloseCode,
  isRealtimeError,
} from '@org/realtime-core'

describe('RealtimeError', () => {
  it('carries a code, a name, and an optional cause', () => {
    const cause = new Error('root')
    const error = new RealtimeError(ErrorCode.Timeout, 'too slow', { cause })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('RealtimeError')
    expect(error.code).toBe('TIMEOUT')
    expect(error.cause).toBe(cause)
  })

  it('is recognised by name when it comes from another copy of the package', () => {
    const foreign = Object.assign(new Error('x'), { name: 'RealtimeError', code: 'TIMEOUT' })
    expect(isRealtimeError(foreign)).toBe(true)
    expect(isRealtimeError(new Error('x'))).toBe(false)
    expect(isRealtimeError({ name: 'RealtimeError', code: 'TIMEOUT' })).toBe(false)
  })

  it('spells every code as its key in SCREAMING_SNAKE_CASE, but INTERNAL_ERROR, in the documented order', () => {
    expect(Object.entries(ErrorCode)).toEqual(
      Object.entries({
        BadFrame: 'BAD_FRAME',
        UnknownFrame: 'UNKNOWN_FRAME',
        UnsupportedVersion: 'UNSUPPORTED_VERSION',
        PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
        InvalidPayload: 'INVALID_PAYLOAD',
        HandshakeTimeout: 'HANDSHAKE_TIMEOUT',
        Unauthorized: 'UNAUTHORIZED',
        Forbidden: 'FORBIDDEN',
        UnknownEvent: 'UNKNOWN_EVENT',
        HandlerError: 'HANDLER_ERROR',
        ListenerError: 'LISTENER_ERROR',
        Timeout: 'TIMEOUT',
        Disconnected: 'DISCONNECTED',
        Closed: 'CLOSED',
        QueueFull: 'QUEUE_FULL',
        RateLimited: 'RATE_LIMITED',
        LimitExceeded: 'LIMIT_EXCEEDED',
        SlowConsumer: 'SLOW_CONSUMER',
        TransportError: 'TRANSPORT_ERROR',
        Internal: 'INTERNAL_ERROR',
        BadRequest: 'BAD_REQUEST',
        UnknownSession: 'UNKNOWN_SESSION',
        TransportMismatch: 'TRANSPORT_MISMATCH',
        RequestInFlight: 'REQUEST_IN_FLIGHT',
        OutcomeUnknown: 'OUTCOME_UNKNOWN',
        InvalidOffset: 'INVALID_OFFSET',
        InvalidSequence: 'INVALID_SEQUENCE',
        IdentityMismatch: 'IDENTITY_MISMATCH',
      } satisfies typeof ErrorCode),
    )
  })

  it('knows its own codes', () => {
    expect(isErrorCode('FORBIDDEN')).toBe(true)
    expect(isErrorCode('forbidden')).toBe(false)
    expect(isErrorCode(42)).toBe(false)
  })
})

describe('close codes', () => {
  it('marks deliberate closes and refusals as final, everything else as retryable', () => {
    const final = [CloseCode.Normal, CloseCode.BadRequest, CloseCode.Unauthorized, CloseCode.Forbidden, CloseCode.UnsupportedVersion]
    const retryable = [...Object.values(CloseCode).filter((code) => !(final as number[]).includes(code)), 1011]
    expect(final.map(isFinalCloseCode)).toEqual(final.map(() => true))
    expect(retryable.map(isFinalCloseCode)).toEqual(retryable.map(() => false))
  })

  it('maps refusal error codes to close codes and back', () => {
    expect(closeCodeForRefusal(ErrorCode.Unauthorized)).toBe(4401)
    expect(closeCodeForRefusal(ErrorCode.UnsupportedVersion)).toBe(4426)
    expect(closeCodeForRefusal(ErrorCode.BadFrame)).toBe(4400)
    expect(closeCodeForRefusal(ErrorCode.UnknownFrame)).toBe(4400)
    expect(closeCodeForRefusal('ANYTHING_ELSE')).toBe(4403)
    expect(errorCodeForClose(4401)).toBe(ErrorCode.Unauthorized)
    expect(errorCodeForClose(1009)).toBe(ErrorCode.PayloadTooLarge)
    expect(errorCodeForClose(1006)).toBeUndefined()
  })

  it('reports the error code of every close code that carries one, by the close code\'s name', () => {
    const carried: Partial<Record<keyof typeof CloseCode, ErrorCode>> = {
      ...{ MessageTooBig: ErrorCode.PayloadTooLarge, BadRequest: ErrorCode.BadFrame, Unauthorized: ErrorCode.Unauthorized },
      ...{ Forbidden: ErrorCode.Forbidden, HandshakeTimeout: ErrorCode.HandshakeTimeout, UnsupportedVersion: ErrorCode.UnsupportedVersion },
      ...{ RateLimited: ErrorCode.RateLimited, SlowConsumer: ErrorCode.SlowConsumer, SessionReset: ErrorCode.InvalidSequence },
    }
    for (const [name, code] of Object.entries(CloseCode)) expect(errorCodeForClose(code), name).toBe(carried[name as keyof typeof CloseCode])
  })
})
