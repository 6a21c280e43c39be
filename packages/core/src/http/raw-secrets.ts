import { drawRandomBytes } from './secrets.js'

/** The character codes of `0`–`9` and `a`–`f`. */
const HEX_CODES = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0))

/** The value of each lowercase hexadecimal digit by character code, -1 for any other character. */
const DIGIT_VALUES = new Int8Array(128).fill(-1)
HEX_CODES.forEach((code, digit) => (DIGIT_VALUES[code] = digit))

/**
 * A secret of `bytes` random bytes held as a string of that many characters (one per byte, codes
 * 0–255): half the memory of its hexadecimal text, which {@link hexOfSecret} gives when it is
 * sent.
 */
export function randomSecret(bytes: number): string {
  const codes = new Array<number>(bytes)
  drawRandomBytes(bytes, (byte, i) => {
    codes[i] = byte
  })
  return String.fromCharCode(...codes)
}

/** `bytes` random bytes as lowercase hexadecimal: one flat string, not pieces joined. */
export function randomHex(bytes: number): string {
  return hexOfSecret(randomSecret(bytes))
}

/** The lowercase hexadecimal text of a secret from {@link randomSecret}: one flat string. */
export function hexOfSecret(secret: string): string {
  const codes = new Array<number>(2 * secret.length)
  for (let i = 0; i < secret.length; i++) {
    const byte = secret.charCodeAt(i)
    codes[2 * i] = HEX_CODES[byte >> 4] as number
    codes[2 * i + 1] = HEX_CODES[byte & 15] as number
  }
  return String.fromCharCode(...codes)
}

/**
 * Whether `given` is the lowercase hexadecimal text of `secret` (from {@link randomSecret}),
 * compared in a time that does not depend on where they differ, so that timing does not reveal
 * the secret one character at a time.
 */
export function isSecretHex(given: string | null, secret: string | undefined): boolean {
  if (given === null || secret === undefined || given.length !== 2 * secret.length) return false
  let difference = 0
  for (let i = 0; i < secret.length; i++) {
    const high = DIGIT_VALUES[given.charCodeAt(2 * i) & 127] as number
    const low = DIGIT_VALUES[given.charCodeAt(2 * i + 1) & 127] as number
    // A character that is not a lowercase digit (negative, or past 127) makes it differ.
    difference |= (high | low) & 0x80 ? 256 : 0
    difference |= (given.charCodeAt(2 * i) | given.charCodeAt(2 * i + 1)) & ~127
    difference |= ((high << 4) | low) ^ secret.charCodeAt(i)
  }
  return difference === 0
}
