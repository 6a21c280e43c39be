/**
 * A token bucket: up to `capacity` tokens, refilled continuously at `ratePerSecond`. Refills are
 * computed when tokens are taken, so a bucket costs no timer.
 */
export class TokenBucket {
  #tokens: number
  #updatedAt: number

  constructor(
    /** Tokens added per second. */
    readonly ratePerSecond: number,
    /** Most tokens the bucket holds: the burst it allows. */
    readonly capacity: number,
    /** The clock, in milliseconds. */
    readonly now: () => number = Date.now,
  ) {
    this.#tokens = capacity
    this.#updatedAt = now()
  }

  /**
   * Takes `cost` tokens if the bucket has them and returns 0; otherwise takes nothing and returns
   * the milliseconds until it will have them.
   */
  take(cost = 1): number {
    if (this.ratePerSecond === Infinity) return 0
    const tokens = this.#refill()
    if (tokens >= cost) {
      this.#tokens = tokens - cost
      return 0
    }
    return Math.ceil(((cost - tokens) / this.ratePerSecond) * 1000)
  }

  /** Whether the bucket is full again, so it may be forgotten. */
  get full(): boolean {
    return this.ratePerSecond === Infinity || this.#refill() >= this.capacity
  }

  #refill(): number {
    const now = this.now()
    this.#tokens = Math.min(this.capacity, this.#tokens + ((now - this.#updatedAt) / 1000) * this.ratePerSecond)
    this.#updatedAt = now
    return this.#tokens
  }
}
