import { describe, expect, it, vi } from 'vitest'
import { ErrorCode, PendingAcks, RealtimeError } from '@org/realtime-core'

describe('PendingAcks', () => {
  it('gives increasing ids and resolves with the ack data', async () => {
    const acks = new PendingAcks()
    const first = acks.create(1000, 'a')
    const second = acks.create(1000, 'b')
    expect(second.id).toBe(first.id + 1)
    expect(acks.settle({ t: 'ack', id: second.id, d: 'two' })).toBe(true)
    await expect(second.promise).resolves.toBe('two')
    expect(acks.settle({ t: 'ack', id: second.id, d: 'again' })).toBe(false)
    acks.rejectAll(new RealtimeError(ErrorCode.Closed, 'bye'))
    await expect(first.promise).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('rejects with the error an ack carries', async () => {
    const acks = new PendingAcks()
    const { id, promise } = acks.create(1000, 'a')
    acks.settle({ t: 'ack', id, err: { code: 'NOPE', message: 'no' } })
    await expect(promise).rejects.toMatchObject({ name: 'RealtimeError', code: 'NOPE', message: 'no' })
  })

  it('rejects with TIMEOUT after timeoutMs and ignores a late ack', async () => {
    vi.useFakeTimers()
    try {
      const acks = new PendingAcks()
      const settled = vi.fn()
      const { id, promise } = acks.create(100, 'slow', settled)
      const outcome = promise.catch((error: RealtimeError) => error.code)
      vi.advanceTimersByTime(100)
      expect(await outcome).toBe(ErrorCode.Timeout)
      expect(settled).toHaveBeenCalledTimes(1)
      expect(acks.settle({ t: 'ack', id })).toBe(false)
    } finally {
      vi.useRealTimers()
    }
  })
})
