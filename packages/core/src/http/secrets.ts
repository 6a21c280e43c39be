/** Random bytes drawn from the platform's generator at once, then handed out a few at a time. */
const POOL_BYTES = 1024
let pool = new Uint8Array(0)
let poolOffset = 0

/**
 * Hands `bytes` random bytes from the platform's cryptographic generator to `read`, one at a time
 * with its index. The generator is asked for a kilobyte at a time (one system call for ~30
 * sessions' id, key and token instead of one each), and each byte handed out is zeroed in the pool
 * at once, so the pool only ever holds secrets nobody has yet.
 */
export function drawRandomBytes(bytes: number, read: (byte: number, index: number) => void): void {
  if (poolOffset + bytes > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(Math.max(POOL_BYTES, bytes)))
    poolOffset = 0
  }
  for (let i = 0; i < bytes; i++) read(pool[poolOffset + i] as number, i)
  pool.fill(0, poolOffset, poolOffset + bytes)
  poolOffset += bytes
}
