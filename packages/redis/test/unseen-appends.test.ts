import { describe, expect, it } from 'vitest'
import { UnseenAppends } from '../src/unseen-appends.js'

const packet = { event: 'n', json: '1', rooms: ['a', 'b'], except: [] }

describe('the own broadcasts a node waits to see come back', () => {
  it('keeps at most 1,024 per room, forgets those seen and the ones before them, and gives the rest in broadcast order', () => {
    const unseen = new UnseenAppends()
    for (let seq = 1; seq <= 5000; seq++) unseen.add({ room: 'a', seq, flags: 0, epoch: 'e', packet })
    unseen.add({ room: 'b', seq: 4000, flags: 0, epoch: 'e', packet })
    unseen.add({ room: 'b', seq: 5001, flags: 0, epoch: 'e', packet })
    unseen.seen('a', 4990)
    unseen.seen('b', 4000)
    expect(unseen.take().map(({ room, seq }) => `${room}${seq}`)).toEqual([...Array.from({ length: 10 }, (_, i) => `a${4991 + i}`), 'b5001'])
    expect(unseen.take()).toEqual([])
    for (let seq = 1; seq <= 2000; seq++) unseen.add({ room: 'a', seq, flags: 0, epoch: 'e', packet })
    const kept = unseen.take()
    expect(kept).toHaveLength(1024)
    expect(kept[0]?.seq).toBe(2000 - 1023)
  })
})
