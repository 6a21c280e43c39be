import { describe, expect, it } from 'vitest'
import { MAX_SHARED_TEXTS, sharedText, sharedTextCount } from '../src/http/shared-text.js'

describe('texts shared by the requests that carry them alike', () => {
  it('gives back an equal text, and keeps at most MAX_SHARED_TEXTS distinct ones of at most 256 characters', () => {
    const open = '/realtime?transport=sse&hello=1'
    expect(sharedText(open)).toBe(open)
    expect(sharedText(`/realtime?transport=sse&hello=${1}`)).toBe(open)
    const long = 'x'.repeat(257)
    expect(sharedText(long)).toBe(long)
    expect(sharedTextCount()).toBe(1)
    for (let n = 0; n < MAX_SHARED_TEXTS + 100; n++) expect(sharedText(`/realtime?token=${n}`)).toBe(`/realtime?token=${n}`)
    expect(sharedTextCount()).toBe(MAX_SHARED_TEXTS)
    expect(sharedText(open)).toBe(open)
  })
})
