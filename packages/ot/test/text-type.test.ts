import { isRealtimeError } from '@org/realtime-core'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_TEXT_OP_LIMITS,
  checkOp,
  codePointLength,
  deleteOp,
  insertOp,
  opBaseLength,
  opLengthChange,
  replaceOp,
  snapshotFromString,
  snapshotToString,
  textType as t,
} from '../src/text/index.js'

/** Calls `fn` and returns the code of the RealtimeError it throws. */
function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    if (isRealtimeError(error)) return error.code
    throw error
  }
  throw new Error('did not throw')
}

describe('the text type', () => {
  it('has the ottypes name, uri and functions', () => {
    expect(t.name).toBe('realtime-text')
    expect(t.uri).toMatch(/^https:\/\//)
    for (const fn of ['create', 'apply', 'transform', 'compose', 'invert', 'normalize', 'transformPosition', 'transformSelection', 'checkOp', 'serialize', 'deserialize']) {
      expect(typeof (t as Record<string, unknown>)[fn]).toBe('function')
    }
  })

  it('counts positions in code points, so an emoji is one position', () => {
    const doc = t.create('a😀b')
    expect(doc.length).toBe(3)
    expect(t.apply(doc, [1, { d: '😀' }, 'é']).toString()).toBe('aéb')
    expect(t.apply(doc, [2, '👍🏽']).toString()).toBe('a😀👍🏽b')
    expect(doc.slice(1, 2)).toBe('😀')
    expect(codePointLength('👍🏽x')).toBe(3)
  })

  it('applies to a string and returns a string', () => {
    expect(t.apply('hello', [5, ' world'])).toBe('hello world')
    expect(t.apply('hello', [{ d: 'he' }, 'je'])).toBe('jello')
  })

  it('never modifies the snapshot it applies to', () => {
    const doc = t.create('x'.repeat(3000))
    const next = t.apply(doc, [1500, 'middle', { d: 'xx' }])
    expect(doc.toString()).toBe('x'.repeat(3000))
    expect(next.length).toBe(3004)
    expect(next.slice(1498, 1508)).toBe('xxmiddlexx')
  })

  it('refuses a retain past the end with INVALID_OFFSET', () => {
    expect(codeOf(() => t.apply(t.create('abc'), [4, 'x']))).toBe('INVALID_OFFSET')
    expect(codeOf(() => t.apply('abc', [3, { d: 'd' }]))).toBe('INVALID_OFFSET')
  })

  it('refuses a delete whose text is not in the document with INVALID_OFFSET', () => {
    expect(codeOf(() => t.apply(t.create('abc'), [1, { d: 'c' }]))).toBe('INVALID_OFFSET')
    expect(codeOf(() => t.apply(t.create('a😀'), [1, { d: '😁' }]))).toBe('INVALID_OFFSET')
  })

  it('breaks ties between inserts at one position by side', () => {
    const a = [1, 'a']
    const b = [1, 'b']
    expect(t.transform(a, b, 'left')).toEqual([1, 'a'])
    expect(t.transform(b, a, 'right')).toEqual([2, 'b'])
    expect(t.apply(t.apply('xy', a), t.transform(b, a, 'right'))).toBe('xaby')
    expect(t.apply(t.apply('xy', b), t.transform(a, b, 'left'))).toBe('xaby')
    expect(() => t.transform(a, b, 'middle' as 'left')).toThrow(TypeError)
  })

  it('keeps text inserted inside a range another op deletes', () => {
    const del = [{ d: 'abcd' }]
    const ins = [2, 'X']
    expect(t.transform(del, ins, 'left')).toEqual([{ d: 'ab' }, 1, { d: 'cd' }])
    expect(t.transform(ins, del, 'right')).toEqual(['X'])
    expect(t.apply(t.apply('abcde', ins), t.transform(del, ins, 'left'))).toBe('Xe')
  })

  it('deletes text that both ops delete once', () => {
    const a = [1, { d: 'bc' }]
    const b = [2, { d: 'cd' }]
    expect(t.transform(a, b, 'left')).toEqual([1, { d: 'b' }])
    expect(t.transform(b, a, 'right')).toEqual([1, { d: 'd' }])
    expect(t.apply(t.apply('abcde', a), t.transform(b, a, 'right'))).toBe('ae')
  })

  it('composes two ops into one, cancelling text inserted then deleted', () => {
    expect(t.compose([2, 'abc'], [3, { d: 'b' }])).toEqual([2, 'ac'])
    expect(t.compose([{ d: 'x' }], ['y'])).toEqual(['y', { d: 'x' }])
    expect(t.compose([1, '😀'], [1, { d: '😀' }, 'é'])).toEqual([1, 'é'])
    expect(t.compose(['ab'], [1, { d: 'bc' }])).toEqual(['a', { d: 'c' }])
  })

  it('inverts ops, deletes into inserts and back', () => {
    expect(t.invert([2, 'ab', { d: 'x' }])).toEqual([2, 'x', { d: 'ab' }])
    const doc = t.create('hello')
    const op = [1, 'EE', { d: 'ell' }]
    expect(t.apply(t.apply(doc, op), t.invert(op)).toString()).toBe('hello')
  })

  it('normalizes: merges neighbours, drops empty parts and a trailing retain, inserts before deletes', () => {
    expect(t.normalize([1, 2, 'a', 'b', { d: 'x' }, { d: 'y' }, 3])).toEqual([3, 'ab', { d: 'xy' }])
    expect(t.normalize([{ d: 'x' }, 'a'])).toEqual(['a', { d: 'x' }])
    expect(t.normalize([0, '', { d: '' }])).toEqual([])
  })

  it('moves positions past ops: remote inserts at the caret go after it, own inserts before it', () => {
    const op = [2, 'XY', { d: 'cd' }]
    expect(t.transformPosition(0, op)).toBe(0)
    expect(t.transformPosition(2, op)).toBe(2)
    expect(t.transformPosition(2, op, true)).toBe(4)
    expect(t.transformPosition(3, op)).toBe(4) // inside the deleted text: where it was
    expect(t.transformPosition(5, op)).toBe(5)
    expect(t.transformSelection({ anchor: 1, head: 5, extra: 'kept' }, op)).toEqual({ anchor: 1, head: 5, extra: 'kept' })
    expect(t.transformSelection([0, 3], op)).toEqual([0, 4])
    expect(t.transformSelection(2, op, true)).toBe(4)
  })

  it('serializes a snapshot as its text, JSON included, and deserializes it back', () => {
    const doc = t.create('a😀')
    expect(JSON.stringify({ doc })).toBe('{"doc":"a😀"}')
    expect(t.serialize(doc)).toBe('a😀')
    expect(t.deserialize('a😀').toString()).toBe('a😀')
    expect(t.deserialize(doc)).toBe(doc)
    expect(snapshotToString(doc)).toBe('a😀')
    expect(snapshotToString('plain')).toBe('plain')
  })

  it('replaces lone surrogates of a new document with U+FFFD', () => {
    const doc = snapshotFromString('a\ud83d' + 'b\ude00')
    expect(doc.toString()).toBe('a\ufffdb\ufffd')
    expect(doc.length).toBe(4)
  })

  it('reads slices of a document across its chunks', () => {
    const text = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? '😀' : String.fromCharCode(97 + (i % 26)))).join('')
    const doc = t.create(text)
    const cps = [...text]
    for (const [start, end] of [[0, 3000], [0, 0], [511, 1700], [1023, 1025], [2999, 5000], [-3, 2]] as const) {
      expect(doc.slice(start, end)).toBe(cps.slice(Math.max(0, start), end).join(''))
    }
  })
})

describe('checkOp', () => {
  it('accepts a well-formed op and returns it', () => {
    const op = [2, 'ab', { d: 'c' }, 1]
    expect(checkOp(op, 4)).toBe(op)
    expect(checkOp([], 0)).toEqual([])
  })

  it('refuses malformed ops with BAD_FRAME', () => {
    for (const op of [null, 'x', {}, [0], [-1], [1.5], [Number.NaN], [''], [{ d: '' }], [{ d: 1 }], [{ d: 'x', e: 1 }], [null], [['x']], [true], ['\ud83d'], [{ d: 'a\ude00' }]]) {
      expect(codeOf(() => checkOp(op)), JSON.stringify(op)).toBe('BAD_FRAME')
    }
  })

  it('refuses an op over the size limits with PAYLOAD_TOO_LARGE', () => {
    expect(codeOf(() => checkOp(Array.from({ length: DEFAULT_TEXT_OP_LIMITS.maxComponents + 1 }, (_, i) => (i % 2 ? 'a' : 1))))).toBe('PAYLOAD_TOO_LARGE')
    expect(codeOf(() => checkOp(['a'.repeat(DEFAULT_TEXT_OP_LIMITS.maxTextLength + 1)]))).toBe('PAYLOAD_TOO_LARGE')
    expect(codeOf(() => checkOp(['abc', { d: 'de' }], undefined, { maxTextLength: 4 }))).toBe('PAYLOAD_TOO_LARGE')
    expect(codeOf(() => checkOp([1, 'a', 1], undefined, { maxComponents: 2 }))).toBe('PAYLOAD_TOO_LARGE')
  })

  it('refuses an op that reaches past the end of the document with INVALID_OFFSET', () => {
    expect(codeOf(() => checkOp([3, 'x'], 2))).toBe('INVALID_OFFSET')
    expect(codeOf(() => checkOp([1, { d: '😀😀' }], 2))).toBe('INVALID_OFFSET')
    expect(checkOp([1, { d: '😀' }], 2)).toEqual([1, { d: '😀' }])
  })
})

describe('op helpers', () => {
  it('builds inserts, deletes and replacements', () => {
    expect(insertOp(0, 'x')).toEqual(['x'])
    expect(insertOp(2, '😀', 2)).toEqual([2, '😀'])
    expect(deleteOp(1, 'bc', 3)).toEqual([1, { d: 'bc' }])
    const doc = t.create('a😀c')
    expect(replaceOp(doc, 1, 2, 'B')).toEqual([1, 'B', { d: '😀' }])
    expect(replaceOp(doc, 3, 3, '!')).toEqual([3, '!'])
    expect(replaceOp(doc, 0, 3)).toEqual([{ d: 'a😀c' }])
  })

  it('refuses positions outside the document and lone surrogates', () => {
    expect(codeOf(() => insertOp(3, 'x', 2))).toBe('INVALID_OFFSET')
    expect(codeOf(() => insertOp(-1, 'x'))).toBe('INVALID_OFFSET')
    expect(codeOf(() => deleteOp(1, 'bc', 2))).toBe('INVALID_OFFSET')
    expect(codeOf(() => replaceOp(t.create('ab'), 2, 1))).toBe('INVALID_OFFSET')
    expect(codeOf(() => insertOp(0, '\ud83d'))).toBe('BAD_FRAME')
  })

  it('measures ops', () => {
    expect(opBaseLength([2, 'abc', { d: '😀x' }])).toBe(4)
    expect(opLengthChange([2, 'abc', { d: '😀x' }])).toBe(1)
  })
})
