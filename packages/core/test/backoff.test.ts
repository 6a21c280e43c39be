import { describe, expect, it } from 'vitest'
import { backoffDelay } from '@org/realtime-core'

describe('backoffDelay', () => {
  it('doubles from initialDelayMs up to maxDelayMs without jitter', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0 }))
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000])
  })

  it('uses 1000 ms initial, 5000 ms cap and half jitter by default', () => {
    expect(backoffDelay(1, {}, () => 0)).toBe(1000)
    expect(backoffDelay(10, {}, () => 0)).toBe(5000)
    expect(backoffDelay(10, {}, () => 0.999999)).toBe(2500)
  })

  it('spreads clients that all reached the cap over [max * (1 - jitter), max]', () => {
    let seed = 42
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    const delays = Array.from({ length: 1000 }, () => backoffDelay(20, { maxDelayMs: 5000, jitter: 0.5 }, random))
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(2500)
    expect(Math.max(...delays)).toBeLessThanOrEqual(5000)
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(2000)
    const inOneHundredMs = delays.filter((delay) => delay >= 4900).length
    expect(inOneHundredMs).toBeLessThan(100)
  })

  it('clamps jitter to [0, 1] and treats attempts below 1 as the first', () => {
    expect(backoffDelay(0, { initialDelayMs: 100, jitter: 0 })).toBe(100)
    expect(backoffDelay(1, { initialDelayMs: 100, jitter: 5 }, () => 0.5)).toBe(50)
    expect(backoffDelay(1, { initialDelayMs: 100, jitter: -1 }, () => 0.5)).toBe(100)
  })
})
