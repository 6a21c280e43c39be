import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  ErrorCode,
  MAX_CHANNELS_PER_FRAME,
  MAX_HISTORY_LIMIT,
  MAX_NAME_LENGTH,
  RealtimeError,
  decodeClientFrame,
  decodeServerFrame,
  encodeChannelEvent,
  encodeFrame,
  type EventFrame,
} from '@org/realtime-core'

/** The example frames of docs/protocol.md, by frame type: the spec is the fixture. */
function specExamples(): Map<string, string[]> {
  const spec = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8')
  const examples = new Map<string, string[]>()
  for (const match of spec.matchAll(/^```([\w-]+)\n([\s\S]*?)^```$/gm)) {
    const [, type, body] = match
    if (type === undefined || body === undefined || type === 'ts' || type === 'sh') continue
    examples.set(type, body.split('\n').filter((line) => line.length > 0))
  }
  return examples
}

const examples = specExamples()
const clientTypes = ['hello', 'auth', 'pong', 'pub', 'sub', 'unsub', 'event', 'ack']
const serverTypes = ['welcome', 'ping', 'error', 'event', 'ack']
const clientFixtures = clientTypes.flatMap((type) => (examples.get(type) ?? []).filter((line) => !line.includes('"ch":"') || type !== 'event'))
const serverFixtures = serverTypes.flatMap((type) => examples.get(type) ?? [])

describe('codec against the examples of docs/protocol.md', () => {
  it('finds an example for every frame type', () => {
    expect([...examples.keys()].sort()).toEqual(['ack', 'auth', 'channel-event', 'error', 'event', 'hello', 'ping', 'pong', 'pub', 'sub', 'unsub', 'welcome'])
  })

  it.each(clientFixtures)('decodes the client frame %s and encodes it back identically', (text) => {
    expect(encodeFrame(decodeClientFrame(text))).toBe(text)
  })

  it.each(serverFixtures)('decodes the server frame %s and encodes it back identically', (text) => {
    expect(encodeFrame(decodeServerFrame(text))).toBe(text)
  })

  it.each(examples.get('channel-event') ?? [])('decodes the channel event %s as its event frame and encodes it back identically', (text) => {
    const frame = decodeServerFrame(text) as EventFrame
    const [channel, offset, event] = JSON.parse(text) as [string, number, string]
    expect(frame).toMatchObject({ t: 'event', ch: channel, e: event })
    expect(frame.o).toBe(offset === 0 ? undefined : offset)
    expect(encodeChannelEvent(frame.ch as string, frame.o, frame.e, frame.d)).toBe(text)
  })

  it('encodes frames built in code to the exact spec strings', () => {
    expect(encodeFrame({ t: 'event', e: 'chat', d: { text: 'hi' } })).toBe('{"t":"event","e":"chat","d":{"text":"hi"}}')
    expect(encodeFrame({ t: 'event', e: 'typing', d: undefined })).toBe('{"t":"event","e":"typing"}')
    expect(encodeFrame({ t: 'hello', v: 1, auth: { token: 'abc' } })).toBe('{"t":"hello","v":1,"auth":{"token":"abc"}}')
    expect(encodeFrame({ t: 'sub', id: 3, ch: ['room:lobby', 'room:vip'] })).toBe('{"t":"sub","id":3,"ch":["room:lobby","room:vip"]}')
    expect(encodeFrame({ t: 'ack', id: 2 })).toBe('{"t":"ack","id":2}')
  })
})

describe('decoder on malformed input', () => {
  const cases: Array<[string, unknown, string]> = [
    ['empty text', '', ErrorCode.BadFrame],
    ['truncated JSON', '{"t":"event","e":"x"', ErrorCode.BadFrame],
    ['a number', '42', ErrorCode.BadFrame],
    ['an array', '[]', ErrorCode.BadFrame],
    ['null', 'null', ErrorCode.BadFrame],
    ['a non-string value', 42, ErrorCode.BadFrame],
    ['no type', '{}', ErrorCode.BadFrame],
    ['an object type', '{"t":{}}', ErrorCode.BadFrame],
    ['an unknown type', '{"t":"teleport"}', ErrorCode.UnknownFrame],
    ['a server-only type', '{"t":"ping"}', ErrorCode.UnknownFrame],
    ['a hello without version', '{"t":"hello"}', ErrorCode.BadFrame],
    ['a string version', '{"t":"hello","v":"1"}', ErrorCode.BadFrame],
    ['an event name that is a number', '{"t":"event","e":1}', ErrorCode.BadFrame],
    ['an id of NaN-like text', '{"t":"event","e":"x","id":"1"}', ErrorCode.BadFrame],
    ['an id beyond safe integers', '{"t":"event","e":"x","id":9007199254740993}', ErrorCode.BadFrame],
    ['a pub without channel', '{"t":"pub","e":"x"}', ErrorCode.BadFrame],
    ['a sub with 101 channels', JSON.stringify({ t: 'sub', id: 1, ch: Array.from({ length: 101 }, (_, i) => `c${i}`) }), ErrorCode.BadFrame],
    ['a sub with a null channel', '{"t":"sub","id":1,"ch":[null]}', ErrorCode.BadFrame],
    ['a sub without id', '{"t":"sub","ch":["a"]}', ErrorCode.BadFrame],
    ['an ack without id', '{"t":"ack"}', ErrorCode.BadFrame],
    ['an ack error without message', '{"t":"ack","id":1,"err":{"code":"X"}}', ErrorCode.BadFrame],
    ['deep nesting', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, ErrorCode.BadFrame],
    ['lone surrogates', '{"t":"event","e":"\ud800"}', ''],
  ]

  it.each(cases)('rejects %s with a RealtimeError, never a raw error', (_name, input, code) => {
    let thrown: unknown
    try {
      decodeClientFrame(input as string)
    } catch (error) {
      thrown = error
    }
    if (code === '') {
      expect(thrown).toBeUndefined()
      return
    }
    expect(thrown).toBeInstanceOf(RealtimeError)
    expect((thrown as RealtimeError).code).toBe(code)
  })

  it('accepts data nested 64 levels deep (the frame object is one of them) and refuses 65, counting no bracket in a string', () => {
    const nested = (levels: number, inside: unknown = 0): unknown => (levels === 0 ? inside : [nested(levels - 1, inside)])
    const frame = (data: unknown) => JSON.stringify({ t: 'event', e: 'x', d: data })
    expect(decodeClientFrame(frame(nested(63)))).toMatchObject({ t: 'event' })
    expect(() => decodeClientFrame(frame(nested(64)))).toThrowError(expect.objectContaining({ code: ErrorCode.BadFrame }))
    // More brackets than levels, most of them in strings: the frame is 2 levels deep.
    expect(decodeClientFrame(frame(['{['.repeat(100), '[{'.repeat(100)]))).toMatchObject({ t: 'event' })
    expect(() => decodeClientFrame(frame(nested(64, '[[[[')))).toThrowError(expect.objectContaining({ code: ErrorCode.BadFrame }))
  })

  it('rejects a client event with a channel, which only servers send', () => {
    const text = '{"t":"event","e":"message","d":{"text":"hi"},"ch":"room:lobby"}'
    expect(() => decodeClientFrame(text)).toThrowError(expect.objectContaining({ code: ErrorCode.BadFrame }))
    expect(decodeServerFrame(text)).toMatchObject({ ch: 'room:lobby' })
  })

  it.each([
    ['an empty array', '[]'],
    ['an array of two', '["room",1]'],
    ['an array of five', '["room",1,"e",1,2]'],
    ['a negative offset', '["room",-1,"e"]'],
    ['an empty event name', '["room",1,""]'],
    ['a channel that is not a name', '[7,1,"e"]'],
  ])('rejects a channel event with %s', (_name, text) => {
    expect(() => decodeServerFrame(text)).toThrowError(expect.objectContaining({ code: ErrorCode.BadFrame }))
  })

  it('leaves out of a channel event what JSON leaves out of an object', () => {
    expect(encodeChannelEvent('room', undefined, 'tick', () => {})).toBe('["room",0,"tick"]')
    expect(encodeChannelEvent('room', 3, 'tick', undefined)).toBe('["room",3,"tick"]')
    expect(() => encodeChannelEvent('room', 3, 'tick', 1n)).toThrowError(expect.objectContaining({ code: ErrorCode.InvalidPayload }))
  })

  it('rejects a client-only frame sent by a server', () => {
    expect(() => decodeServerFrame('{"t":"sub","id":1,"ch":["a"]}')).toThrowError(expect.objectContaining({ code: ErrorCode.UnknownFrame }))
    expect(() => decodeServerFrame('{"t":"welcome","v":1}')).toThrowError(expect.objectContaining({ code: ErrorCode.BadFrame }))
  })

  it('keeps __proto__ keys as plain data without touching prototypes', () => {
    const frame = decodeClientFrame('{"t":"event","e":"x","d":{"__proto__":{"polluted":1}}}') as { d: object }
    expect(Object.getPrototypeOf(frame.d)).toBe(Object.prototype)
    expect(({} as { polluted?: number }).polluted).toBeUndefined()
  })

  it('names the field and the current limits in its messages', () => {
    const message = (text: string): string => {
      try {
        decodeClientFrame(text)
      } catch (error) {
        return (error as RealtimeError).message
      }
      throw new Error(`${text} was accepted`)
    }
    expect(message('{"t":"event","e":""}')).toBe(`Malformed frame: field "e" must be a string of 1 to ${MAX_NAME_LENGTH} characters`)
    expect(message('{"t":"sub","id":1,"ch":[]}')).toContain(`an array of 1 to ${MAX_CHANNELS_PER_FRAME} channel names`)
    expect(message('{"t":"sub","id":1,"ch":["a"],"since":[]}')).toContain(`at most ${MAX_CHANNELS_PER_FRAME} channel names`)
    expect(message('{"t":"hist","id":1,"ch":"a","limit":0}')).toContain(`an integer from 1 to ${MAX_HISTORY_LIMIT}`)
  })

  it('strips unknown members of an ack error', () => {
    const frame = decodeClientFrame('{"t":"ack","id":1,"err":{"code":"X","message":"m","stack":"at secret"}}')
    expect(frame).toEqual({ t: 'ack', id: 1, err: { code: 'X', message: 'm' } })
  })

  it('refuses to encode data JSON cannot hold with INVALID_PAYLOAD', () => {
    expect(() => encodeFrame({ t: 'event', e: 'x', d: 1n })).toThrowError(expect.objectContaining({ code: ErrorCode.InvalidPayload }))
  })
})
