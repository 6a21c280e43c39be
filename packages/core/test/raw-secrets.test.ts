import { describe, expect, it } from 'vitest'
import { hexOfSecret, isSecretHex, randomSecret } from '../src/http/raw-secrets.js'

describe('secrets held one character per byte', () => {
  it('are sent as 2 lowercase hexadecimal digits per byte, never the same twice', () => {
    const seen = new Set<string>()
    for (let n = 0; n < 500; n++) {
      const secret = randomSecret(16)
      expect(secret).toHaveLength(16)
      const hex = hexOfSecret(secret)
      expect(hex).toMatch(/^[0-9a-f]{32}$/)
      expect(seen.has(hex)).toBe(false)
      seen.add(hex)
      expect(isSecretHex(hex, secret)).toBe(true)
    }
  })

  it('are proved only by their exact lowercase text', () => {
    const secret = randomSecret(16)
    const hex = hexOfSecret(secret)
    expect(isSecretHex(hex.toUpperCase() === hex ? `${hex.slice(0, -1)}g` : hex.toUpperCase(), secret)).toBe(false)
    expect(isSecretHex(hex.slice(0, -1), secret)).toBe(false)
    expect(isSecretHex(`${hex}0`, secret)).toBe(false)
    expect(isSecretHex(null, secret)).toBe(false)
    expect(isSecretHex(hex, undefined)).toBe(false)
    for (let i = 0; i < hex.length; i++) {
      const digit = hex.charCodeAt(i)
      // Another digit, a character that is no digit, and one that is a digit's code plus 128.
      for (const code of [digit === 0x30 ? 0x31 : 0x30, 0x47, digit + 128]) {
        const other = hex.slice(0, i) + String.fromCharCode(code) + hex.slice(i + 1)
        expect(isSecretHex(other, secret)).toBe(false)
      }
    }
  })
})
