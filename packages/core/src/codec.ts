import { isValidChannel } from './channel-key.js'
import { ErrorCode, RealtimeError } from './errors.js'
import {
  MAX_CHANNELS_PER_FRAME,
  MAX_HISTORY_LIMIT,
  MAX_NAME_LENGTH,
  MAX_NESTING_DEPTH,
  type ChannelEventFrame,
  type ClientFrame,
  type ErrorPayload,
  type EventFrame,
  type Frame,
  type ServerFrame,
} from './protocol.js'

/**
 * Encodes a frame as the JSON text sent on the wire.
 * @throws RealtimeError `INVALID_PAYLOAD` when the data cannot be represented as JSON.
 */
export function encodeFrame(frame: Frame): string {
  return stringify(frame)
}

/**
 * Encodes an event broadcast to `channel` in the compact form, a {@link ChannelEventFrame}.
 * `offset` is the event's offset in the channel, or undefined when the server keeps no history.
 * Data that an object would leave out (`undefined`, a function, a symbol) is left out here too.
 * @throws RealtimeError `INVALID_PAYLOAD` when the data cannot be represented as JSON.
 */
export function encodeChannelEvent(channel: string, offset: number | undefined, event: string, data: unknown): string {
  return channelEventText(channel, offset, event, encodeData(data))
}

/**
 * Encodes event data as JSON, once, so that it can be kept and sent in many frames without being
 * encoded again: undefined for what an object would leave out (`undefined`, a function, a symbol).
 * @throws RealtimeError `INVALID_PAYLOAD` when the data cannot be represented as JSON (a cycle, a
 * `BigInt`, nesting so deep that encoding it overflows the stack).
 */
export function encodeData(data: unknown): string | undefined {
  return stringify(data) as string | undefined
}

/**
 * The compact channel event frame ({@link ChannelEventFrame}) for data already encoded with
 * {@link encodeData}: the same text as {@link encodeChannelEvent}, with no data encoded again.
 */
export function channelEventText(channel: string, offset: number | undefined, event: string, json: string | undefined): string {
  const head = `[${JSON.stringify(channel)},${offset ?? 0},${JSON.stringify(event)}`
  return json === undefined ? `${head}]` : `${head},${json}]`
}

/**
 * The `event` frame, `{"t":"event","e":…,"d":…}`, for data already encoded with {@link encodeData}:
 * the same text as `encodeFrame({ t: 'event', e: event, d: data })`.
 */
export function eventFrameText(event: string, json: string | undefined): string {
  const head = `{"t":"event","e":${JSON.stringify(event)}`
  return json === undefined ? `${head}}` : `${head},"d":${json}}`
}

function stringify(value: unknown): string {
  try {
    return JSON.stringify(value)
  } catch (cause) {
    throw new RealtimeError(ErrorCode.InvalidPayload, 'The payload cannot be encoded as JSON', { cause })
  }
}

/** How a field is checked, and what the error says when it is not valid. */
interface Rule {
  readonly test: (value: unknown) => boolean
  /** Completes "field "x" must be …". */
  readonly is: string
}

/** The fields a frame type carries, each with its rule and whether it may be absent. */
type Shape = ReadonlyArray<readonly [field: string, rule: Rule, optional: boolean]>

type Shapes = Record<string, Shape>

type Fields = Record<string, unknown>

/**
 * The shapes of a table listing, by frame type, the fields a frame must (`name`) or may (`name?`)
 * carry. Fields not listed are passed through untouched (`d` and `auth` hold anything).
 */
function compile(table: Record<string, Record<string, Rule>>): Shapes {
  const shapes: Shapes = {}
  for (const [type, fields] of Object.entries(table)) {
    shapes[type] = Object.entries(fields).map(([key, rule]) => (key.endsWith('?') ? [key.slice(0, -1), rule, true] : [key, rule, false]))
  }
  return shapes
}

// The messages spell the limits out, and the tables are marked pure: otherwise bundlers would keep
// them in browser bundles, which never decode (codec.test.ts checks the limits match the constants).

const integer: Rule = { test: isInteger, is: 'a non-negative integer' }
const string: Rule = { test: (value) => typeof value === 'string', is: 'a string' }
const boolean: Rule = { test: (value) => typeof value === 'boolean', is: 'a boolean' }
const name: Rule = { test: isValidName, is: 'a string of 1 to 256 characters' }
const channel: Rule = { test: isValidChannel, is: 'a channel: a name of 1 to 256 characters, optionally followed by U+001F and options (1281 characters in all)' }
const names: Rule = { test: (value) => Array.isArray(value) && value.every(isValidChannel), is: 'an array of channels' }
const absent: Rule = { test: (value) => value === undefined, is: 'absent (a client publishes with a "pub" frame)' }
const error: Rule = {
  test: (value) => isObject(value) && typeof value.code === 'string' && typeof value.message === 'string',
  is: 'an object { code: string, message: string }',
}
const channelList: Rule = {
  test: (value) => Array.isArray(value) && value.length > 0 && value.length <= MAX_CHANNELS_PER_FRAME && value.every(isValidChannel),
  is: 'an array of 1 to 100 channel names',
}
const historyLimit: Rule = { test: (value) => isInteger(value) && value >= 1 && value <= MAX_HISTORY_LIMIT, is: 'an integer from 1 to 1000' }
const resume: Rule = {
  // As many channels as the session's rooms: bounded by maxPayload, not by a count.
  test: (value) =>
    isObject(value) &&
    typeof value.token === 'string' &&
    isInteger(value.s) &&
    (value.ch === undefined || (isObject(value.ch) && Object.entries(value.ch).every(([channel, offset]) => isValidChannel(channel) && isInteger(offset)))),
  is: 'an object { token: string, s: integer, ch?: { [channel]: integer } }',
}
const positions: Rule = {
  test: (value) =>
    isObject(value) &&
    Object.keys(value).length <= MAX_CHANNELS_PER_FRAME &&
    Object.entries(value).every(([channel, position]) => isValidChannel(channel) && isObject(position) && typeof position.epoch === 'string' && isInteger(position.offset)),
  is: 'an object mapping at most 100 channel names to { epoch: string, offset: integer }',
}

const ack = { id: integer, 's?': integer, 'err?': error }

const clientShapes = /* @__PURE__ */ compile({
  hello: { v: integer, 'recoverable?': boolean, 'resume?': resume },
  auth: { id: integer },
  pong: {},
  event: { e: name, 'id?': integer, 's?': integer, 'o?': integer, 'ch?': absent },
  pub: { ch: channel, e: name, 'id?': integer, 's?': integer },
  ack,
  sub: { id: integer, ch: channelList, 'since?': positions },
  rcv: { s: integer },
  hist: { id: integer, ch: channel, 'since?': integer, 'limit?': historyLimit },
  unsub: { 'id?': integer, ch: channelList },
})

const serverShapes = /* @__PURE__ */ compile({
  welcome: {
    v: integer,
    sid: string,
    pingInterval: integer,
    pingTimeout: integer,
    maxPayload: integer,
    'expiresAt?': integer,
    's?': integer,
    'token?': string,
    'resumed?': boolean,
    'lost?': names,
  },
  ping: {},
  event: { e: name, 'id?': integer, 's?': integer, 'o?': integer, 'ch?': channel },
  ack,
  rcv: { s: integer },
  error: { code: string, message: string },
})

/**
 * Decodes and validates a frame sent by a client.
 * @throws RealtimeError `BAD_FRAME` for malformed input, `UNKNOWN_FRAME` for a type clients may not send.
 */
export function decodeClientFrame(text: string): ClientFrame {
  return decode(text, clientShapes, false) as ClientFrame
}

/**
 * Decodes and validates a frame sent by a server. A channel event in the compact form
 * ({@link ChannelEventFrame}) comes back as the {@link EventFrame} it stands for.
 * @throws RealtimeError `BAD_FRAME` for malformed input, `UNKNOWN_FRAME` for a type servers may not send.
 */
export function decodeServerFrame(text: string): ServerFrame {
  return decode(text, serverShapes, true) as ServerFrame
}

function decode(text: string, shapes: Shapes, channelEvents: boolean): unknown {
  if (typeof text !== 'string') throw badFrame('a frame must be text')
  let fields: unknown
  try {
    fields = JSON.parse(text)
  } catch {
    throw badFrame('a frame must be valid JSON')
  }
  if (nestedTooDeep(text)) throw badFrame(`arrays and objects may nest at most ${MAX_NESTING_DEPTH} levels deep`)
  if (channelEvents && Array.isArray(fields)) return channelEvent(fields)
  if (!isObject(fields)) throw badFrame(channelEvents ? 'a frame must be a JSON object or a channel event array' : 'a frame must be a JSON object')
  if (typeof fields.t !== 'string') throw badFrame('a frame must have a string field "t"')
  const shape = Object.hasOwn(shapes, fields.t) ? shapes[fields.t] : undefined
  if (shape === undefined) throw new RealtimeError(ErrorCode.UnknownFrame, `Unknown frame type ${JSON.stringify(fields.t.slice(0, 32))}`)
  for (const [field, rule, optional] of shape) {
    const value = fields[field]
    if (!(optional && value === undefined) && !rule.test(value)) throw badFrame(`field "${field}" must be ${rule.is}`)
  }
  // Heartbeats and receipts are rebuilt: a peer cannot make them carry anything else.
  if (fields.t === 'ping' || fields.t === 'pong') return { t: fields.t }
  if (fields.t === 'rcv') return { t: 'rcv', s: fields.s }
  if (fields.t === 'ack' && fields.err !== undefined) {
    // Only the fields of an ErrorPayload reach the app.
    const { code, message, retryAfterMs } = fields.err as ErrorPayload
    fields.err = typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) ? { code, message, retryAfterMs } : { code, message }
  }
  return fields
}

/** The event frame that a compact channel event stands for. */
function channelEvent(fields: unknown[]): EventFrame {
  const [ch, o, e, d] = fields
  if (fields.length < 3 || fields.length > 4 || !isValidChannel(ch) || !isInteger(o) || !isValidName(e)) {
    throw badFrame('a channel event must be [channel, offset, event] or [channel, offset, event, data]')
  }
  const frame: EventFrame = { t: 'event', e, ch }
  if (fields.length === 4) frame.d = d
  if (o > 0) frame.o = o
  return frame
}

/**
 * Whether the JSON `text`, already known to be valid, nests arrays and objects more than
 * {@link MAX_NESTING_DEPTH} levels deep. Brackets inside strings do not count.
 */
function nestedTooDeep(text: string): boolean {
  // Each level opens a bracket: text with no more openings than levels allowed cannot be too deep,
  // and counting them with `indexOf` is ten times quicker than the scan below.
  if (text.length <= MAX_NESTING_DEPTH || fewOpenings(text)) return false
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === 0x22) {
      // Skip the string; in valid JSON a backslash always escapes the next character.
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i)
        if (inner === 0x5c) i++
        else if (inner === 0x22) break
      }
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > MAX_NESTING_DEPTH) return true
    } else if (code === 0x5d || code === 0x7d) depth--
  }
  return false
}

/** Whether `text` holds at most {@link MAX_NESTING_DEPTH} `{` and `[` in all, inside strings or not. */
function fewOpenings(text: string): boolean {
  let count = 0
  for (const bracket of ['{', '[']) {
    for (let at = text.indexOf(bracket); at !== -1; at = text.indexOf(bracket, at + 1)) if (++count > MAX_NESTING_DEPTH) return false
  }
  return true
}

/** Whether `value` is a valid event or channel name: a string of 1 to {@link MAX_NAME_LENGTH} characters. */
export function isValidName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_LENGTH
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function isObject(value: unknown): value is Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function badFrame(detail: string): RealtimeError {
  return new RealtimeError(ErrorCode.BadFrame, `Malformed frame: ${detail}`)
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
