/** Options of {@link NotifyRateLimit}. */
export interface NotifyRateLimitOptions {
  /**
   * Notifications an address may send at once.
   * @default 5
   */
  burst?: number
  /**
   * Notifications an address may send per second after its burst.
   * @default 1
   */
  perSecond?: number
  /**
   * Addresses tracked at once; past it the one seen least recently is forgotten, so many
   * addresses cannot grow the table without bound.
   * @default 10000
   */
  addresses?: number
}

/**
 * How many `POST /notify` each address may send: a token bucket per address, so one client
 * cannot flood someone's feed; past it the request is refused with 429 `RATE_LIMITED`.
 */
export class NotifyRateLimit {
  readonly #burst: number
  readonly #perSecond: number
  readonly #addresses: number
  /** Address → tokens left and when counted, least recently seen first. */
  readonly #buckets = new Map<string, { tokens: number; at: number }>()

  constructor({ burst = 5, perSecond = 1, addresses = 10_000 }: NotifyRateLimitOptions = {}) {
    this.#burst = burst
    this.#perSecond = perSecond
    this.#addresses = addresses
  }

  /** Takes one send from `address`'s bucket: false when it is empty. */
  take(address: string, now = Date.now()): boolean {
    const bucket = this.#buckets.get(address) ?? { tokens: this.#burst, at: now }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#perSecond)
    bucket.at = now
    this.#buckets.delete(address) // re-inserted last: Map order is least recently seen first
    this.#buckets.set(address, bucket)
    if (this.#buckets.size > this.#addresses) this.#buckets.delete(this.#buckets.keys().next().value as string)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }
}
