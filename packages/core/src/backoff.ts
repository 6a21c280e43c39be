/** How long to wait between reconnection attempts. */
export interface BackoffOptions {
  /**
   * Delay before the first attempt, in milliseconds.
   * @default 1000
   */
  initialDelayMs?: number
  /**
   * Largest delay before jitter, in milliseconds.
   * @default 5000
   */
  maxDelayMs?: number
  /**
   * Fraction of the delay that is randomised, from 0 (none) to 1. It is applied after the
   * cap, so clients that have all reached `maxDelayMs` still come back spread over
   * `[maxDelayMs * (1 - jitter), maxDelayMs]` instead of all at once.
   * @default 0.5
   */
  jitter?: number
  /**
   * Factor the delay grows by after each failed attempt.
   * @default 2
   */
  multiplier?: number
}

/**
 * Delay before reconnection attempt number `attempt` (1 for the first): exponential growth,
 * capped at `maxDelayMs`, then reduced by a random part of up to `jitter` of itself.
 *
 * @param random - source of uniform numbers in [0, 1); `Math.random` by default.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { initialDelayMs = 1000, maxDelayMs = 5000, jitter = 0.5, multiplier = 2 } = options
  const exponent = Math.max(0, attempt - 1)
  const capped = Math.min(maxDelayMs, initialDelayMs * multiplier ** exponent)
  const spread = Math.min(1, Math.max(0, jitter))
  return Math.round(capped * (1 - spread * random()))
}
