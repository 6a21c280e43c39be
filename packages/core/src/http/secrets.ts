/** Random bytes drawn from the platform's generator at once, then handed out a few at a time. */
const POOL_BYTES = 1024
/** The character codes of `0`–`9` and `a`–`f`. */
const HEX_CODES = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0))
let pool = new Uint8Array(0)
let poolOffset = 0

/**
 * `bytes` random bytes as lowercase hexadecimal, from the platform's cryptographic generator.
 * The generator is asked for a kilobyte at a time (one system call for ~30 sessions' id, key and
 * token instead of one each), and each byte handed out is zeroed in the pool at once, so the pool
 * only ever holds secrets nobody has yet. The text is one flat string, not pieces joined.
 */
export function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(Math.max(POOL_BYTES, bytes)))
    poolOffset = 0
  }
  const codes = new Array<number>(bytes * 2)
  for (let i = 0; i < bytes; i++) {
    const byte = pool[poolOffset + i] as number
    codes[2 * i] = HEX_CODES[byte >> 4] as number
    codes[2 * i + 1] = HEX_CODES[byte & 15] as number
  }
  pool.fill(0, poolOffset, poolOffset + bytes)
  poolOffset += bytes
  return String.fromCharCode(...codes)
}

/**
 * Whether `given` is `expected`, compared in a time that does not depend on where they differ, so
 * that timing does not reveal a secret one character at a time.
 */
export function sameSecret(given: string | null, expected: string | undefined): boolean {
  if (given === null || expected === undefined || given.length !== expected.length) return false
  let difference = 0
  for (let i = 0; i < expected.length; i++) difference |= given.charCodeAt(i) ^ expected.charCodeAt(i)
  return difference === 0
}
