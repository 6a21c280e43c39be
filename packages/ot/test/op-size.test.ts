import { describe, expect, it } from 'vitest'
import type { TextOp } from '../src/shared/ot-text.js'
import { jsonLongerThan } from '../src/shared/op-size.js'

describe('jsonLongerThan', () => {
  it('agrees with the length of JSON.stringify at every limit around it', () => {
    const ops: TextOp[] = [[], [5], ['x'], [3, '"\\\n👋', { d: 'a\u0001b' }, 12], [Number.MAX_SAFE_INTEGER, { d: 'é'.repeat(50) }], ['y'.repeat(300)]]
    for (const op of ops) {
      const length = JSON.stringify(op).length
      for (let max = 0; max <= length * 7 + 30; max++) expect(jsonLongerThan(op, max)).toBe(length > max)
    }
  })

  it('counts components that are not text op components exactly', () => {
    const op = [null, { x: 1 }, [1], { d: 'a', e: 1 }] as unknown as TextOp
    expect(jsonLongerThan(op, JSON.stringify(op).length)).toBe(false)
    expect(jsonLongerThan(op, JSON.stringify(op).length - 1)).toBe(true)
  })
})
