import { describe, expect, it } from 'vitest'
import { TokenBucket } from '@org/realtime-core'

describe('TokenBucket', () => {
  it('allows a burst of capacity, then refills at the rate', () => {
    let now = 0
    const bucket = new TokenBucket(10, 3, () => now)
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0])
    expect(bucket.take()).toBe(100)
    now = 100
    expect(bucket.take()).toBe(0)
    expect(bucket.take()).toBe(100)
  })

  it('charges fractional costs and says how long until a larger one fits', () => {
    let now = 0
    const bucket = new TokenBucket(1, 1, () => now)
    expect(bucket.take(0.25)).toBe(0)
    expect(bucket.take(1)).toBe(250)
    now = 250
    expect(bucket.take(1)).toBe(0)
  })

  it('never refuses with an infinite rate', () => {
    const bucket = new TokenBucket(Infinity, 1)
    for (let n = 0; n < 100; n++) expect(bucket.take()).toBe(0)
    expect(bucket.full).toBe(true)
  })

  it('is full again once idle long enough', () => {
    let now = 0
    const bucket = new TokenBucket(2, 4, () => now)
    bucket.take(4)
    expect(bucket.full).toBe(false)
    now = 2000
    expect(bucket.full).toBe(true)
  })
})
