import { describe, expect, it } from 'vitest'
import { utf8Length } from '@org/realtime-core'

describe('utf8Length', () => {
  it.each(['', 'hello', 'héllo', '€uro', '日本語', '😀 emoji', 'a\u0000b', 'mixed ß 中 𝄞'])('matches Buffer.byteLength for %j', (text) => {
    expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'))
  })

  it('counts a lone surrogate as the 3-byte replacement character', () => {
    expect(utf8Length('\ud800')).toBe(Buffer.byteLength('\ud800', 'utf8'))
    expect(utf8Length('a\udc00b')).toBe(Buffer.byteLength('a\udc00b', 'utf8'))
  })
})
