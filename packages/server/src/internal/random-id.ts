import { randomFillSync } from 'node:crypto'

/**
 * Random bytes for session ids and resume tokens, drawn from the system's generator a pool at a
 * time: one call then serves hundreds of connections. Each byte is handed out once.
 */
const randomPool = Buffer.alloc(4096)
let randomOffset = randomPool.length

/** `bytes` fresh random bytes, as base64url. */
export function randomId(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomFillSync(randomPool)
    randomOffset = 0
  }
  const id = randomPool.toString('base64url', randomOffset, randomOffset + bytes)
  randomOffset += bytes
  return id
}
