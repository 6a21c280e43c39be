/**
 * The client address behind trusted proxies, read from `X-Forwarded-For`. Not exported from the
 * entry point.
 */

/** Which peers are proxies whose `X-Forwarded-For` entries are believed: see `RealtimeServerOptions.trustProxy`. */
export type TrustProxy = number | readonly string[]

/** Entries of `X-Forwarded-For` read at most, from its right end (the ones the nearest proxies added). */
export const MAX_FORWARDED_ENTRIES = 32
/** Characters of `X-Forwarded-For` read at most, from its right end. */
export const MAX_FORWARDED_CHARS = 1024

/** Decides, for the address at `hop` (0: the peer), whether it is a proxy to believe. */
type IsTrusted = (address: Uint8Array, hop: number) => boolean

/**
 * Returns a function giving the client's address for a request from `peer` with the headers
 * `headers`: `peer` itself unless it is a trusted proxy, otherwise the first address in
 * `X-Forwarded-For`, read from the right, that is not a trusted proxy (or the farthest one read).
 * Throws a `TypeError` for a list entry that is no IP address or CIDR range.
 */
export function clientAddressResolver(trust: TrustProxy | undefined): (peer: string, forwardedFor: string | string[] | undefined) => string {
  const isTrusted = trustPredicate(trust)
  if (isTrusted === undefined) return (peer) => peer
  return (peer, forwardedFor) => {
    let address = peer
    let bytes = parseAddress(peer)
    // A fetch runtime that was not told the peer (''): only a hop count can trust it.
    if (bytes === undefined && peer === '' && typeof trust === 'number') bytes = new Uint8Array(0)
    if (bytes === undefined || forwardedFor === undefined) return address
    const entries = forwardedEntries(Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    for (let hop = 0; hop < entries.length && isTrusted(bytes, hop); hop++) {
      const next = stripPort(entries[hop]!)
      const nextBytes = parseAddress(next)
      // A malformed entry: the last address that could be read is the client's.
      if (nextBytes === undefined) return address
      address = next
      bytes = nextBytes
    }
    return address
  }
}

function trustPredicate(trust: TrustProxy | undefined): IsTrusted | undefined {
  if (trust === undefined) return undefined
  if (typeof trust === 'number') {
    if (!Number.isInteger(trust) || trust < 0) throw new TypeError(`trustProxy must be a whole number of hops or a list of addresses, got ${trust}`)
    if (trust === 0) return undefined
    return (_address, hop) => hop < trust
  }
  const ranges = trust.map(parseRange)
  if (ranges.length === 0) return undefined
  return (address) => ranges.some((range) => inRange(address, range))
}

/** The rightmost entries of an `X-Forwarded-For` value, nearest proxy first; bounded in count and characters. */
function forwardedEntries(header: string): string[] {
  const cut = header.length > MAX_FORWARDED_CHARS
  const parts = header.slice(-MAX_FORWARDED_CHARS).split(',')
  // A cut entry is not an address: keep it, so the walk stops there.
  if (cut && parts.length > 0) parts[0] = '\u0000'
  return parts.slice(-MAX_FORWARDED_ENTRIES).reverse().map((part) => part.trim())
}

/** `1.2.3.4:80` → `1.2.3.4`, `[::1]:80` → `::1`; anything else unchanged. */
function stripPort(entry: string): string {
  if (entry.startsWith('[')) {
    const end = entry.indexOf(']')
    return end === -1 ? entry : entry.slice(1, end)
  }
  const colon = entry.indexOf(':')
  return colon !== -1 && colon === entry.lastIndexOf(':') ? entry.slice(0, colon) : entry
}

interface Range {
  bytes: Uint8Array
  bits: number
}

function parseRange(entry: string): Range {
  const [text = '', prefix] = entry.split('/', 2)
  const bytes = parseAddress(text.trim())
  const bits = prefix === undefined ? (bytes?.length ?? 0) * 8 : /^[0-9]{1,3}$/.test(prefix) ? Number(prefix) : NaN
  if (bytes === undefined || !(bits >= 0 && bits <= bytes.length * 8)) {
    throw new TypeError(`trustProxy: "${entry}" is not an IP address or a CIDR range like 10.0.0.0/8`)
  }
  return { bytes, bits }
}

function inRange(address: Uint8Array, range: Range): boolean {
  if (address.length !== range.bytes.length) return false
  let bits = range.bits
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff
    if ((address[i]! & mask) !== (range.bytes[i]! & mask)) return false
  }
  return true
}

/**
 * The bytes of an IPv4 (4) or IPv6 (16) address, or undefined if `text` is neither. An
 * IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, as Node.js reports peers on a dual-stack server)
 * gives its IPv4 bytes. A zone (`fe80::1%eth0`) is ignored.
 */
export function parseAddress(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > 64) return undefined
  if (!text.includes(':')) return parseIpv4(text)
  const v6 = parseIpv6(text.split('%', 1)[0]!)
  if (v6 !== undefined && v6.subarray(0, 10).every((byte) => byte === 0) && v6[10] === 0xff && v6[11] === 0xff) return v6.subarray(12)
  return v6
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.')
  if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255)) return undefined
  return Uint8Array.from(parts, Number)
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groups = (half: string | undefined): number[] | undefined => {
    if (half === undefined || half === '') return []
    const out: number[] = []
    const parts = half.split(':')
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part)
        if (v4 === undefined) return undefined
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) out.push(parseInt(part, 16))
      else return undefined
    }
    return out
  }
  const head = groups(halves[0])
  const tail = groups(halves[1])
  if (head === undefined || tail === undefined) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail]
  const bytes = new Uint8Array(16)
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8
    bytes[2 * i + 1] = group & 0xff
  })
  return bytes
}
