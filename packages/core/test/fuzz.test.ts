import * as fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { protocolDoc, raw, render, specExamples, str, toNode, type Node } from '../../../test/fuzz-frames.js'
import {
  ErrorCode,
  MAX_CHANNELS_PER_FRAME,
  MAX_NAME_LENGTH,
  MAX_NESTING_DEPTH,
  RealtimeError,
  decodeClientFrame,
  decodeServerFrame,
  encodeFrame,
  isRealtimeError,
} from '@org/realtime-core'

/*
 * Property tests of the decoders: whatever text arrives, `decodeClientFrame` and
 * `decodeServerFrame` return a frame of docs/protocol.md's frame table or throw a `RealtimeError`
 * `BAD_FRAME` / `UNKNOWN_FRAME`, and a returned frame survives `encodeFrame` unchanged.
 *
 * FUZZ_RUNS raises the runs of each property (`pnpm fuzz`); FUZZ_SEED (and FUZZ_PATH) replay the
 * seed (and path) fast-check prints with a counterexample.
 */

const runs = Number(process.env.FUZZ_RUNS ?? 250)
const budgetMs = Math.max(5_000, runs * 5)
const replay = {
  ...(process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) }),
  ...(process.env.FUZZ_PATH === undefined ? {} : { path: process.env.FUZZ_PATH }),
}
const settings = { numRuns: runs, ...replay, plugins: [fc.interruptAfterTimeLimit(budgetMs)] }
/** Deepest nesting a round trip is asked to survive: JSON.stringify recurses, ~4000 levels overflow its stack. */
const ENCODABLE_DEPTH = 1000

// ---------------------------------------------------------------------------------------------
// The frame table of docs/protocol.md

const isInteger = (value: unknown): boolean => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
const isName = (value: unknown): boolean => typeof value === 'string' && value.length >= 1 && value.length <= MAX_NAME_LENGTH
/** The "channel" field type: a name, optionally followed by U+001F and options; 1281 code units at most. */
const isChannel = (value: unknown): boolean =>
  typeof value === 'string' && value.length <= MAX_NAME_LENGTH + 1 + 1024 && isName(value.includes('\u001f') ? value.slice(0, value.indexOf('\u001f')) : value)

/** The "error payload" of the field types: `code` and `message` strings, a finite `retryAfterMs` kept, other members dropped. */
function isErrorPayload(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const err = value as Record<string, unknown>
  const keys = Object.keys(err).join()
  return (
    typeof err.code === 'string' &&
    typeof err.message === 'string' &&
    (keys === 'code,message' || (keys === 'code,message,retryAfterMs' && Number.isFinite(err.retryAfterMs)))
  )
}

const fieldTypes: Record<string, (value: unknown) => boolean> = {
  integer: isInteger,
  string: (value) => typeof value === 'string',
  name: isName,
  channel: isChannel,
  'channel list': (value) => Array.isArray(value) && value.length >= 1 && value.length <= MAX_CHANNELS_PER_FRAME && value.every(isChannel),
  'error payload': isErrorPayload,
  any: () => true,
}

interface FieldRule {
  field: string
  type: (value: unknown) => boolean
  required: boolean
  /** `ch` of `event`: "S→C only … Not allowed C→S". */
  serverOnly: boolean
}

/**
 * docs/protocol.md's frame table, by direction and frame type: the spec is the oracle, so a frame
 * type or field added there is checked here without a change to this file.
 */
function frameTable(doc: string): Record<'client' | 'server', Map<string, FieldRule[] | 'no fields'>> {
  const table = doc.slice(doc.indexOf('### Frame table'), doc.indexOf('### Validation'))
  const byDirection = { client: new Map<string, FieldRule[] | 'no fields'>(), server: new Map<string, FieldRule[] | 'no fields'>() }
  let rules: FieldRule[] | 'no fields' | undefined
  for (const row of table.split('\n').filter((line) => line.startsWith('| '))) {
    const [t = '', direction, field = '', type = '', required, meaning = ''] = row.split('|').slice(1, -1).map((cell) => cell.trim().replace(/`/g, ''))
    if (t === 'frame t' || t.startsWith('---')) continue
    if (t !== '') {
      rules = field === '—' ? 'no fields' : []
      if (direction === 'C→S' || direction === 'both') byDirection.client.set(t, rules)
      if (direction === 'S→C' || direction === 'both') byDirection.server.set(t, rules)
    }
    if (rules === undefined || rules === 'no fields') continue
    // A field the spec says is not validated takes any value, whatever type it names.
    const check = /not validated/i.test(meaning) ? fieldTypes.any : fieldTypes[type]
    if (check === undefined) throw new Error(`docs/protocol.md: field type "${type}" of ${t}.${field} is not in the field types`)
    rules.push({ field, type: check, required: required === 'yes', serverOnly: /Not allowed C→S/.test(meaning) })
  }
  return byDirection
}

const spec = frameTable(protocolDoc)

// ---------------------------------------------------------------------------------------------
// Inputs

const frameTypes = [...new Set([...spec.client.keys(), ...spec.server.keys()])]
const fieldNames = [
  't',
  ...new Set(
    [...spec.client.values(), ...spec.server.values()].flatMap((rules) => (rules === 'no fields' ? [] : rules.map((rule) => rule.field))),
  ),
]
const pollutionKeys = ['__proto__', 'constructor', 'prototype']

/** Values that break naive validation: edge numbers, wrong types, edge-length names, lone surrogates, pollution. */
const nastyValues: Node[] = [
  ...['1e308', '-1e308', '1e400', '-1e400', '1e-400', '-0', '0.0', '1.0', '1.5', '-1', '0', '1', '2'].map(raw),
  ...[2 ** 53 - 1, 2 ** 53, 2 ** 53 + 1, 2 ** 64, Number.MAX_VALUE, Number.MIN_VALUE].map((n) => raw(String(n))),
  raw('9007199254740993'),
  raw('1' + '0'.repeat(400)),
  ...['NaN', 'Infinity', '-Infinity', '-0', '1', '', ' ', 'null', 'undefined', 'x'].map(str),
  ...['true', 'false', 'null', '[]', '{}', '[null]', '[""]', '[1]'].map(raw),
  str('x'.repeat(MAX_NAME_LENGTH)),
  str('x'.repeat(MAX_NAME_LENGTH + 1)),
  str('👋'.repeat(MAX_NAME_LENGTH / 2)),
  str('👋'.repeat(MAX_NAME_LENGTH / 2 + 1)),
  str('x'.repeat(100_000)),
  raw('"\\ud800"'),
  raw('"\\udfff\\ud800"'),
  raw('"a\ud800b"'),
  raw('"\udc00"'),
  raw('"\\u0000"'),
  { arr: Array.from({ length: MAX_CHANNELS_PER_FRAME }, (_, i) => str(`c${i}`)) },
  { arr: Array.from({ length: MAX_CHANNELS_PER_FRAME + 1 }, (_, i) => str(`c${i}`)) },
  { obj: [['code', str('BAD_FRAME')], ['message', str('m')], ['stack', str('x')]] },
  { obj: [['code', raw('1')], ['message', str('m')]] },
  ...['1e400', '-1', '1.5', '-0', '"10"', 'null'].map((retry): Node => ({ obj: [['code', str('RATE_LIMITED')], ['message', str('m')], ['retryAfterMs', raw(retry)]] })),
  ...pollutionKeys.map((key): Node => ({ obj: [[key, { obj: [['polluted', raw('true')]] }]] })),
  { obj: [['constructor', { obj: [['prototype', { obj: [['polluted', raw('true')]] }]] }]] },
  { obj: [['__proto__', raw('null')]] },
  { obj: [['__proto__', raw('[]')]] },
]

const typeArb = fc.oneof(fc.constantFrom(...frameTypes), fc.constantFrom('', 'Event', 'hello ', '__proto__', 'constructor', 'toString'), fc.string())
const keyArb = fc.oneof(fc.constantFrom(...fieldNames), fc.constantFrom(...pollutionKeys), fc.string({ maxLength: 8 }))

/** Any code unit, lone surrogates included. */
const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit))

/** Nesting `depth` levels deep, of arrays or of objects with ordinary or `__proto__` keys. */
const deepArb = (maxDepth: number): fc.Arbitrary<Node> =>
  fc
    .record({ depth: fc.integer({ min: 1, max: maxDepth }), open: fc.constantFrom('[', '{"a":', '{"__proto__":', '{"constructor":') })
    .map(({ depth, open }) => raw(open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth)))

/** Arbitrary JSON trees, pollution keys and nasty values included. */
const { node: nodeArb } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    fc.constantFrom(...nastyValues),
    fc.jsonValue({ maxDepth: 2 }).map(toNode),
    fc.string({ unit: utf16Unit, maxLength: 12 }).map(str),
    deepArb(ENCODABLE_DEPTH),
    fc.array(tie('node'), { maxLength: 4 }).map((arr): Node => ({ arr })),
    fc.array(fc.tuple(keyArb, tie('node')), { maxLength: 4 }).map((obj): Node => ({ obj })),
  ),
}))

/** One edit of a frame; kept as data so fast-check shrinks and prints it. */
type Mutation =
  | { op: 'drop'; at: number }
  | { op: 'set'; key: string; value: Node }
  | { op: 'add'; key: string; value: Node }
  | { op: 'type'; t: string }
  | { op: 'nest'; path: number[]; value: Node }

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('set' as const), key: fc.constantFrom(...fieldNames), value: nodeArb }),
  fc.record({ op: fc.constant('add' as const), key: keyArb, value: nodeArb }),
  fc.record({ op: fc.constant('type' as const), t: typeArb }),
  fc.record({ op: fc.constant('nest' as const), path: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), value: nodeArb }),
)

function mutate(frame: Node, mutation: Mutation): Node {
  if (!('obj' in frame)) return frame
  const fields = [...frame.obj]
  switch (mutation.op) {
    case 'drop':
      if (fields.length > 0) fields.splice(mutation.at % fields.length, 1)
      break
    case 'set': {
      const at = fields.findIndex(([key]) => key === mutation.key)
      if (at === -1) fields.push([mutation.key, mutation.value])
      else fields[at] = [mutation.key, mutation.value]
      break
    }
    case 'add':
      fields.push([mutation.key, mutation.value])
      break
    case 'type':
      return mutate({ obj: fields }, { op: 'set', key: 't', value: str(mutation.t) })
    case 'nest':
      return nestInto(frame, mutation.path, mutation.value)
  }
  return { obj: fields }
}

/** Replaces the value reached by walking `path` (child indexes, modulo each container's size) with `value`. */
function nestInto(node: Node, path: readonly number[], value: Node): Node {
  const [step, ...rest] = path
  if (step === undefined || 'raw' in node) return value
  if ('arr' in node) {
    if (node.arr.length === 0) return { arr: [value] }
    const arr = [...node.arr]
    arr[step % arr.length] = nestInto(arr[step % arr.length] as Node, rest, value)
    return { arr }
  }
  if (node.obj.length === 0) return { obj: [[pollutionKeys[step % pollutionKeys.length] as string, value]] }
  const obj = [...node.obj]
  const [key, child] = obj[step % obj.length] as [string, Node]
  obj[step % obj.length] = [key, nestInto(child, rest, value)]
  return { obj }
}

const examples = specExamples()
const exampleArb = fc.constantFrom(...examples)

/** A spec example with one to four edits. */
const mutatedArb = fc
  .tuple(exampleArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
  .map(([example, mutations]) => render(mutations.reduce(mutate, toNode(JSON.parse(example)))))

/** A prefix of a valid or mutated frame. */
const truncatedArb = fc.tuple(fc.oneof(exampleArb, mutatedArb), fc.nat()).map(([text, cut]) => text.slice(0, cut % Math.max(1, text.length)))

/** A valid or mutated frame with a lone surrogate spliced in (inside a string or not). */
const surrogateArb = fc
  .tuple(fc.oneof(exampleArb, mutatedArb), fc.nat(), fc.integer({ min: 0xd800, max: 0xdfff }))
  .map(([text, at, unit]) => text.slice(0, at % (text.length + 1)) + String.fromCharCode(unit) + text.slice(at % (text.length + 1)))

/** Random JSON objects with a frame type and arbitrary (also pollution) fields. */
const objectArb = fc
  .tuple(typeArb, fc.array(fc.tuple(keyArb, fc.jsonValue({ depthSize: 'medium', maxDepth: 8 })), { maxLength: 6 }))
  .map(([t, fields]) => render({ obj: [['t', str(t)], ...fields.map(([key, value]): [string, Node] => [key, toNode(value)])] }))

/** Text made of JSON's punctuation and the letters of frame fields: often nearly JSON. */
const jsonishArb = fc.string({ unit: fc.constantFrom(...'{}[]":,\\ tevdich0123456789.-+Eu_proa'.split('')), maxLength: 64 })

/** Every kind of input, weighted towards the ones that get past JSON.parse. */
const anyInputArb = fc.oneof(
  { arbitrary: mutatedArb, weight: 5 },
  { arbitrary: objectArb, weight: 2 },
  { arbitrary: truncatedArb, weight: 1 },
  { arbitrary: surrogateArb, weight: 1 },
  { arbitrary: fc.json({ depthSize: 'medium', maxDepth: 10 }), weight: 1 },
  { arbitrary: jsonishArb, weight: 1 },
  { arbitrary: fc.string({ unit: utf16Unit, maxLength: 64 }), weight: 1 },
)

// ---------------------------------------------------------------------------------------------
// Checks

type Decoder = (text: string) => object
const decoders: Array<[string, Decoder, 'client' | 'server']> = [
  ['decodeClientFrame', decodeClientFrame, 'client'],
  ['decodeServerFrame', decodeServerFrame, 'server'],
]

/**
 * Decodes `text` with `decode`: a frame must conform to the frame table and survive a round
 * trip; a failure must be a `RealtimeError` `BAD_FRAME` or `UNKNOWN_FRAME`.
 */
function check(decode: Decoder, direction: 'client' | 'server', text: string): void {
  let frame: object
  try {
    frame = decode(text)
  } catch (error) {
    if (!(error instanceof RealtimeError) || !isRealtimeError(error)) throw new Error(`the decoder threw a non-RealtimeError: ${String(error)}`, { cause: error })
    if (error.code !== ErrorCode.BadFrame && error.code !== ErrorCode.UnknownFrame) throw new Error(`the decoder threw code ${error.code}`, { cause: error })
    return
  }
  expect(Object.getPrototypeOf(frame)).toBe(Object.prototype)
  expect(violation(frame as Record<string, unknown>, direction)).toBeUndefined()
  const encoded = encodeFrame(frame as Parameters<typeof encodeFrame>[0])
  const again = decode(encoded)
  expect(sameJson(again, frame), `round trip changed the frame: ${encoded.slice(0, 200)}`).toBe(true)
  expect(encodeFrame(again as Parameters<typeof encodeFrame>[0])).toBe(encoded)
}


/** What in `frame` breaks docs/protocol.md's frame table for frames of `direction`, or undefined. */
function violation(frame: Record<string, unknown>, direction: 'client' | 'server'): string | undefined {
  const type = frame.t as string
  const rules = spec[direction].get(type)
  if (rules === undefined) return `a ${direction} decoder returned a frame of type ${JSON.stringify(type)}`
  const shown = (): string => JSON.stringify(frame).slice(0, 200)
  if (rules === 'no fields') return Object.keys(frame).join() === 't' ? undefined : `a ${type} frame kept fields: ${shown()}`
  for (const { field, type: check, required, serverOnly } of rules) {
    const value = frame[field]
    if (value === undefined) {
      if (required) return `field "${field}" is missing: ${shown()}`
    } else if (serverOnly && direction === 'client') return `field "${field}" is not allowed from a client: ${shown()}`
    else if (!check(value)) return `field "${field}" breaks the frame table: ${shown()}`
  }
  return undefined
}

/**
 * Equality of JSON values, iterative so deep nesting cannot overflow the stack. Equal as JSON
 * text: `-0` equals `0`, and a non-finite number equals `null`, which is what `JSON.stringify`
 * writes for it. (The decoders accept out-of-range literals such as `1e400` in `d`/`auth`, which
 * parse to Infinity and re-encode as `null`; reported, and tolerated here.)
 */
function sameJson(a: unknown, b: unknown): boolean {
  const pending: Array<[unknown, unknown]> = [[a, b]]
  const asJson = (value: unknown): unknown => (typeof value === 'number' && !Number.isFinite(value) ? null : value)
  for (let steps = 0; steps < 10_000_000; steps++) {
    const next = pending.pop()
    if (next === undefined) return true
    const [x, y] = next.map(asJson)
    if (x === y) continue
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null || Array.isArray(x) !== Array.isArray(y)) return false
    const keys = Object.keys(x)
    if (keys.join('\0') !== Object.keys(y).join('\0')) return false
    for (const key of keys) pending.push([(x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key]])
  }
  throw new Error('sameJson: value too large')
}

// ---------------------------------------------------------------------------------------------
// Properties

const prototypes = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype, Boolean.prototype]
let ownKeysBefore: string[][] = []
const ownKeys = (): string[][] => prototypes.map((proto) => Reflect.ownKeys(proto).map(String).sort())

function assertNoPollution(): void {
  expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
  expect(([] as unknown as { polluted?: unknown }).polluted).toBeUndefined()
  expect(ownKeys()).toEqual(ownKeysBefore)
}

describe('decoder fuzzing', () => {
  beforeAll(() => {
    ownKeysBefore = ownKeys()
  })
  afterAll(assertNoPollution)

  it('reads the frame table and the examples of docs/protocol.md', () => {
    expect([...spec.client.keys()]).toEqual(expect.arrayContaining(['hello', 'pong', 'event', 'pub', 'ack', 'sub', 'unsub']))
    expect([...spec.server.keys()]).toEqual(expect.arrayContaining(['welcome', 'ping', 'event', 'ack', 'error']))
    expect(examples.length).toBeGreaterThanOrEqual(20)
    for (const example of examples) {
      const frame = JSON.parse(example) as { t?: string } | unknown[]
      // A channel event array is an `event` frame.
      expect(frameTypes).toContain(Array.isArray(frame) ? 'event' : frame.t)
    }
  })

  const inputs: Array<[string, fc.Arbitrary<string>]> = [
    ['mutated spec examples', mutatedArb],
    ['random frame-shaped objects', objectArb],
    ['truncated frames', truncatedArb],
    ['frames with lone surrogates', surrogateArb],
    ['arbitrary JSON values', fc.json({ depthSize: 'large', maxDepth: 30 })],
    ['near-JSON text', jsonishArb],
    ['arbitrary UTF-16 strings', fc.string({ unit: utf16Unit, maxLength: 200 })],
    ['arbitrary code point strings', fc.string({ unit: 'binary', maxLength: 200 })],
  ]

  for (const [decoderName, decode, direction] of decoders) {
    it.each(inputs)(`${decoderName} returns a valid frame or throws BAD_FRAME/UNKNOWN_FRAME for %s`, (_name, arbitrary) => {
      fc.assert(
        fc.property(arbitrary, (text) => {
          check(decode, direction, text)
          assertNoPollution()
        }),
        settings,
      )
    }, budgetMs + 10_000)
  }

  it('checks frames against the frame table', () => {
    expect(violation({ t: 'event', e: 'x' }, 'client')).toBeUndefined()
    expect(violation({ t: 'event', e: 'x', ch: 'room' }, 'server')).toBeUndefined()
    expect(violation({ t: 'event', e: 'x', ch: 'room' }, 'client')).toMatch(/not allowed/)
    expect(violation({ t: 'sub', id: 1, ch: [] }, 'client')).toMatch(/breaks/)
    expect(violation({ t: 'welcome', v: 1 }, 'server')).toMatch(/missing/)
    expect(violation({ t: 'ping', x: 1 }, 'server')).toMatch(/kept fields/)
    expect(violation({ t: 'ping' }, 'client')).toMatch(/frame of type/)
    expect(violation({ t: 'ack', id: 1, err: { code: 'X', message: 'm', stack: 's' } }, 'client')).toMatch(/breaks/)
  })

  it('decodes every spec example in both directions without breaking a property', () => {
    for (const example of examples) for (const [, decode, direction] of decoders) check(decode, direction, example)
  })

  it('refuses a frame nested deeper than MAX_NESTING_DEPTH with BAD_FRAME, however deep, and accepts one at the limit', () => {
    // A frame nested ~4000+ levels deep parses, but cannot be encoded again: it must never get in.
    for (const depth of [MAX_NESTING_DEPTH, MAX_NESTING_DEPTH + 1, 10_000, 100_000]) {
      for (const [, decode] of decoders) {
        for (const template of ['{"t":"event","e":"x","d":%}', '{"t":"ack","id":1,"d":%}']) {
          // The frame itself is one level: the data may nest one less.
          const text = template.replace('%', '['.repeat(depth - 1) + ']'.repeat(depth - 1))
          if (depth <= MAX_NESTING_DEPTH) expect(encodeFrame(decode(text) as Parameters<typeof encodeFrame>[0])).toBe(text)
          else expect(() => decode(text)).toThrowError(expect.objectContaining({ name: 'RealtimeError', code: ErrorCode.BadFrame }))
        }
      }
    }
  })

  it('counts nesting by brackets outside strings, for any mix of arrays, objects and bracket-filled strings', () => {
    const level = fc.constantFrom('[', '{"k":', '["[[[",', '{"}]":', '{"\\"[{":')
    fc.assert(
      fc.property(fc.array(level, { minLength: 1, maxLength: MAX_NESTING_DEPTH * 3 }), (levels) => {
        const close = levels.map((open) => (open.startsWith('[') ? ']' : '}')).reverse().join('')
        const data = levels.join('') + '1' + close
        const text = `{"t":"event","e":"x","d":${data}}`
        const depth = levels.length + 1
        for (const [, decode] of decoders) {
          if (depth <= MAX_NESTING_DEPTH) expect(encodeFrame(decode(text) as Parameters<typeof encodeFrame>[0])).toBe(text)
          else expect(() => decode(text)).toThrowError(expect.objectContaining({ code: ErrorCode.BadFrame }))
        }
      }),
      settings,
    )
  }, budgetMs + 10_000)

  it('does not let any input of the whole mixed corpus pollute a prototype', () => {
    fc.assert(
      fc.property(anyInputArb, (text) => {
        for (const [, decode, direction] of decoders) check(decode, direction, text)
        assertNoPollution()
      }),
      settings,
    )
  }, budgetMs + 10_000)
})
