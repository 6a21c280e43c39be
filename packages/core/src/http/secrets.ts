/** `bytes` random bytes as lowercase hexadecimal, from the platform's cryptographic generator. */
export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('')
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
