import { describe, expect, it } from 'vitest'
import { CHANNEL_OPTIONS_SEPARATOR as SEP, canonicalJson, channelKey, isValidChannel, parseChannelKey } from '../src/index.js'

describe('channel keys', () => {
  it('writes options as canonical JSON: keys sorted at every level, undefined members left out', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}')
    expect(channelKey('room', { b: 1, a: 2 })).toBe(`room${SEP}{"a":2,"b":1}`)
  })

  it('keys a channel without options, or with empty ones, by its name alone', () => {
    expect(channelKey('room')).toBe('room')
    expect(channelKey('room', {})).toBe('room')
    expect(channelKey('room', { a: undefined })).toBe('room')
  })

  it('reads a key back into the name and options it was made of', () => {
    expect(parseChannelKey(channelKey('db:public:todos', { filter: 'list_id=eq.42', columns: ['id'] }))).toEqual({
      name: 'db:public:todos',
      options: { columns: ['id'], filter: 'list_id=eq.42' },
    })
    expect(parseChannelKey('room')).toEqual({ name: 'room', options: undefined })
  })

  it.each([
    [`room${SEP}{"b":1,"a":1}`, 'canonical'],
    [`room${SEP}{ "a":1}`, 'canonical'],
    [`room${SEP}{}`, 'empty'],
    [`room${SEP}null`, 'object'],
    [`room${SEP}"a"`, 'object'],
    [`room${SEP}{"a":`, 'JSON'],
    [`${SEP}{"a":1}`, 'name'],
    [`room${SEP}{"a":[[[[1]]]]}`, 'levels'],
    [`room${SEP}${canonicalJson({ t: 'x'.repeat(1020) })}`, '1024'],
    [`room${SEP}${canonicalJson(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 1])))}`, '32 keys'],
  ])('refuses the key %s with BAD_REQUEST (%s)', (key, why) => {
    expect(() => parseChannelKey(key)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining(why) }))
  })

  it('lets a frame carry a channel of up to 1281 characters whose name has 1 to 256', () => {
    expect(isValidChannel(`${'n'.repeat(256)}${SEP}${'x'.repeat(1024)}`)).toBe(true)
    expect(isValidChannel(`${'n'.repeat(256)}${SEP}${'x'.repeat(1025)}`)).toBe(false)
    expect(isValidChannel(`${'n'.repeat(257)}${SEP}{}`)).toBe(false)
    expect(isValidChannel('n'.repeat(257))).toBe(false)
    expect(isValidChannel(`${SEP}{}`)).toBe(false)
  })
})
