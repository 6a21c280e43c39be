import { describe, expect, it } from 'vitest'
import { randomHex } from '../src/http/raw-secrets.js'

describe('randomHex', () => {
  it('hands out lowercase hexadecimal of the asked length, never twice, across refills of its pool', () => {
    const seen = new Set<string>()
    // 16 bytes at a time: a pool of 1 KB is refilled every 64 secrets.
    for (let n = 0; n < 1000; n++) {
      const secret = randomHex(16)
      expect(secret).toMatch(/^[0-9a-f]{32}$/)
      expect(seen.has(secret)).toBe(false)
      seen.add(secret)
    }
    expect(randomHex(15)).toMatch(/^[0-9a-f]{30}$/)
    expect(randomHex(3000)).toMatch(/^[0-9a-f]{6000}$/)
  })

  it('uses every hexadecimal digit, in both halves of a byte', () => {
    const text = Array.from({ length: 200 }, () => randomHex(16)).join('')
    for (const digit of '0123456789abcdef') expect(text).toContain(digit)
  })
})
