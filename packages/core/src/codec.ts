import { ErrorCode, RealtimeError } from './errors.js'
import {
  MAX_CHANNELS_PER_FRAME,
  MAX_HISTORY_LIMIT,
  MAX_NAME_LENGTH,
  type AckFrame,
  type ClientFrame,
  type ErrorPayload,
  type EventFrame,
  type Frame,
  type ServerFrame,
} from './protocol.js'

type Fields = Record<string, unknown>

/**
 * Encodes a frame as the JSON text sent on the wire.
 * @throws RealtimeError `INVALID_PAYLOAD` when the data cannot be represented as JSON.
 */
export function encodeFrame(frame: Frame): string {
  try {
    return JSON.stringify(frame)
  } catch (cause) {
    throw new RealtimeError(ErrorCode.InvalidPayload, 'The payload cannot be encoded as JSON', { cause })
  }
}

/**
 * Decodes and validates a frame sent by a client.
 * @throws RealtimeError `BAD_FRAME` for malformed input, `UNKNOWN_FRAME` for a type clients may not send.
 */
export function decodeClientFrame(text: string): ClientFrame {
  const fields = parseObject(text)
  switch (fields.t) {
    case 'hello':
      requireInteger(fields, 'v')
      if (fields.recoverable !== undefined && typeof fields.recoverable !== 'boolean') throw badFrame('field "recoverable" must be a boolean')
      if (fields.resume !== undefined) validateResume(fields.resume)
      return fields as unknown as ClientFrame
    case 'auth':
      requireInteger(fields, 'id')
      return fields as unknown as ClientFrame
    case 'pong':
      return { t: 'pong' }
    case 'event':
      return validateEvent(fields, false)
    case 'pub':
      requireName(fields, 'ch')
      requireName(fields, 'e')
      optionalId(fields)
      optionalInteger(fields, 's')
      return fields as unknown as ClientFrame
    case 'ack':
      return validateAck(fields)
    case 'sub':
      requireInteger(fields, 'id')
      requireChannelList(fields)
      if (fields.since !== undefined) validatePositions(fields.since)
      return fields as unknown as ClientFrame
    case 'rcv':
      requireInteger(fields, 's')
      return { t: 'rcv', s: fields.s as number }
    case 'hist':
      requireInteger(fields, 'id')
      requireName(fields, 'ch')
      optionalInteger(fields, 'since')
      if (fields.limit !== undefined && !(isInteger(fields.limit) && fields.limit >= 1 && fields.limit <= MAX_HISTORY_LIMIT)) {
        throw badFrame(`field "limit" must be an integer from 1 to ${MAX_HISTORY_LIMIT}`)
      }
      return fields as unknown as ClientFrame
    case 'unsub':
      optionalId(fields)
      requireChannelList(fields)
      return fields as unknown as ClientFrame
    default:
      throw unknownType(fields.t)
  }
}

/**
 * Decodes and validates a frame sent by a server.
 * @throws RealtimeError `BAD_FRAME` for malformed input, `UNKNOWN_FRAME` for a type servers may not send.
 */
export function decodeServerFrame(text: string): ServerFrame {
  const fields = parseObject(text)
  switch (fields.t) {
    case 'welcome':
      requireInteger(fields, 'v')
      requireString(fields, 'sid')
      requireInteger(fields, 'pingInterval')
      requireInteger(fields, 'pingTimeout')
      requireInteger(fields, 'maxPayload')
      optionalInteger(fields, 'expiresAt')
      optionalInteger(fields, 's')
      if (fields.token !== undefined) requireString(fields, 'token')
      if (fields.resumed !== undefined && typeof fields.resumed !== 'boolean') throw badFrame('field "resumed" must be a boolean')
      if (fields.lost !== undefined && !(Array.isArray(fields.lost) && fields.lost.every(isValidName))) throw badFrame('field "lost" must be an array of channel names')
      return fields as unknown as ServerFrame
    case 'ping':
      return { t: 'ping' }
    case 'event':
      return validateEvent(fields, true)
    case 'ack':
      return validateAck(fields)
    case 'rcv':
      requireInteger(fields, 's')
      return { t: 'rcv', s: fields.s as number }
    case 'error':
      requireString(fields, 'code')
      requireString(fields, 'message')
      return fields as unknown as ServerFrame
    default:
      throw unknownType(fields.t)
  }
}

function parseObject(text: string): Fields {
  if (typeof text !== 'string') throw badFrame('a frame must be text')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw badFrame('a frame must be valid JSON')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badFrame('a frame must be a JSON object')
  const fields = value as Fields
  if (typeof fields.t !== 'string') throw badFrame('a frame must have a string field "t"')
  return fields
}

function validateEvent(fields: Fields, fromServer: boolean): EventFrame {
  requireName(fields, 'e')
  optionalId(fields)
  optionalInteger(fields, 's')
  optionalInteger(fields, 'o')
  if (fromServer && fields.ch !== undefined) requireName(fields, 'ch')
  else if (!fromServer && fields.ch !== undefined) throw badFrame('field "ch" is not allowed on a client event; use a "pub" frame')
  return fields as unknown as EventFrame
}

function validateAck(fields: Fields): AckFrame {
  requireInteger(fields, 'id')
  optionalInteger(fields, 's')
  if (fields.err !== undefined) {
    const err = requireObject(fields.err, 'err')
    requireString(err, 'code', 'err.code')
    requireString(err, 'message', 'err.message')
    const { code, message, retryAfterMs } = err as unknown as ErrorPayload
    fields.err = typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) ? { code, message, retryAfterMs } : { code, message }
  }
  return fields as unknown as AckFrame
}

function requireString(fields: Fields, key: string, label = key): void {
  if (typeof fields[key] !== 'string') throw badFrame(`field "${label}" must be a string`)
}

function requireName(fields: Fields, key: string): void {
  if (!isValidName(fields[key])) throw badFrame(`field "${key}" must be a string of 1 to ${MAX_NAME_LENGTH} characters`)
}

/** Whether `value` is a valid event or channel name: a string of 1 to {@link MAX_NAME_LENGTH} characters. */
export function isValidName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_LENGTH
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function requireInteger(fields: Fields, key: string, label = key): void {
  if (!isInteger(fields[key])) throw badFrame(`field "${label}" must be a non-negative integer`)
}

function optionalInteger(fields: Fields, key: string): void {
  if (fields[key] !== undefined) requireInteger(fields, key)
}

function optionalId(fields: Fields): void {
  optionalInteger(fields, 'id')
}

function requireObject(value: unknown, label: string): Fields {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badFrame(`field "${label}" must be an object`)
  return value as Fields
}

function validateResume(value: unknown): void {
  const resume = requireObject(value, 'resume')
  requireString(resume, 'token', 'resume.token')
  requireInteger(resume, 's', 'resume.s')
  if (resume.ch === undefined) return
  // As many as the session's rooms: bounded by maxPayload, not by a count.
  for (const [channel, offset] of Object.entries(requireObject(resume.ch, 'resume.ch'))) {
    if (!isValidName(channel) || !isInteger(offset)) throw badFrame('field "resume.ch" must map channel names to non-negative integers')
  }
}

function validatePositions(value: unknown): void {
  for (const [channel, position] of boundedEntries(requireObject(value, 'since'), 'since')) {
    const fields = requireObject(position, `since.${channel.slice(0, 32)}`)
    if (!isValidName(channel) || typeof fields.epoch !== 'string' || !isInteger(fields.offset)) {
      throw badFrame('field "since" must map channel names to { epoch: string, offset: integer }')
    }
  }
}

function boundedEntries(fields: Fields, label: string): Array<[string, unknown]> {
  const entries = Object.entries(fields)
  if (entries.length > MAX_CHANNELS_PER_FRAME) throw badFrame(`field "${label}" may name at most ${MAX_CHANNELS_PER_FRAME} channels`)
  return entries
}

function requireChannelList(fields: Fields): void {
  const list = fields.ch
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CHANNELS_PER_FRAME) {
    throw badFrame(`field "ch" must be an array of 1 to ${MAX_CHANNELS_PER_FRAME} channel names`)
  }
  if (!list.every(isValidName)) throw badFrame(`every channel name must be a string of 1 to ${MAX_NAME_LENGTH} characters`)
}

function badFrame(detail: string): RealtimeError {
  return new RealtimeError(ErrorCode.BadFrame, `Malformed frame: ${detail}`)
}

function unknownType(type: unknown): RealtimeError {
  return new RealtimeError(ErrorCode.UnknownFrame, `Unknown frame type ${JSON.stringify(String(type).slice(0, 32))}`)
}

/** Length of `text` in bytes once encoded as UTF-8, without allocating. */
export function utf8Length(text: string): number {
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) continue
    if (unit < 0x800) bytes += 1
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2
        i++
      } else bytes += 2
    } else bytes += 2
  }
  return bytes
}
