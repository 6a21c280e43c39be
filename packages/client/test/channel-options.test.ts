import { RealtimeClient } from '@org/realtime-client'
import { describe, expect, it } from 'vitest'

describe('client.channel(name, options)', () => {
  it('gives the same channel for equal options in any key order, and another for other options', () => {
    const client = new RealtimeClient('http://127.0.0.1:1/realtime', { autoConnect: false })
    const first = client.channel('feed', { tags: ['a'], sort: { by: 'date', desc: true } })
    expect(client.channel('feed', { sort: { desc: true, by: 'date' }, tags: ['a'] })).toBe(first)
    expect(client.channel('feed', { tags: ['b'], sort: { by: 'date', desc: true } })).not.toBe(first)
    expect(client.channel('feed', { tags: undefined })).toBe(client.channel('feed'))
    expect(first.name).toBe('feed')
  })

  it('refuses a name and options longer than a frame may carry (1281 characters) with BAD_FRAME', () => {
    const client = new RealtimeClient('http://127.0.0.1:1/realtime', { autoConnect: false })
    expect(() => client.channel('feed', { text: 'x'.repeat(1300) })).toThrow(expect.objectContaining({ code: 'BAD_FRAME' }))
    expect(() => client.channel('feed', { text: 'x'.repeat(1200) })).not.toThrow()
  })
})
