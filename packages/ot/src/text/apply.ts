/** Applying an op to a rope: one pass over the op and the chunks it reaches. */
import { ErrorCode, RealtimeError } from '@org/realtime-core'
import { type TextComponent } from './op.js'
import { type Rope, RopeBuilder } from './rope.js'
import { advance, codePointLength } from './unicode.js'

/**
 * The rope that applying `op` to `rope` gives; `rope` is not modified. Throws `INVALID_OFFSET` when
 * `op` retains or deletes past the end or deletes text that is not there, and `BAD_FRAME` for a
 * component that is not one (ops from outside go through `checkOp` first).
 */
export function applyToRope(rope: Rope, op: readonly TextComponent[]): Rope {
  const { chunks, counts } = rope
  const out = new RopeBuilder()
  let ci = 0 // chunk index
  let cu = 0 // UTF-16 offset in chunks[ci]
  let cp = 0 // code-point offset in chunks[ci]

  for (const c of op) {
    if (typeof c === 'number') {
      let n = c
      if (!(n >= 0)) throw new RealtimeError(ErrorCode.BadFrame, `Malformed text op: retain of ${c}`)
      while (n > 0) {
        if (ci >= chunks.length) throw pastEnd(rope.length)
        const chunk = chunks[ci]!
        const count = counts[ci]!
        if (cp === 0 && n >= count) {
          out.chunk(chunk, count)
          n -= count
          ci++
        } else if (n >= count - cp) {
          out.text(chunk.slice(cu), count - cp)
          n -= count - cp
          ci++
          cu = cp = 0
        } else {
          const end = advance(chunk, cu, n)
          out.text(chunk.slice(cu, end), n)
          cu = end
          cp += n
          n = 0
        }
      }
    } else if (typeof c === 'string') {
      out.text(c, codePointLength(c))
    } else if (typeof c === 'object' && c !== null && typeof c.d === 'string') {
      const text = c.d
      let at = 0
      while (at < text.length) {
        if (ci >= chunks.length) throw pastEnd(rope.length)
        const chunk = chunks[ci]!
        const take = Math.min(chunk.length - cu, text.length - at)
        const piece = text.slice(at, at + take)
        if (!chunk.startsWith(piece, cu)) {
          throw new RealtimeError(ErrorCode.InvalidOffset, 'The op deletes text that is not in the document')
        }
        // Equal units on both sides, and each side well-formed: the cut is between code points.
        at += take
        if (cu + take === chunk.length) {
          ci++
          cu = cp = 0
        } else {
          cu += take
          cp += codePointLength(piece)
        }
      }
    } else {
      throw new RealtimeError(ErrorCode.BadFrame, 'Malformed text op: a component is neither a number, a string nor { d: string }')
    }
  }

  if (ci < chunks.length && cu > 0) {
    out.text(chunks[ci]!.slice(cu), counts[ci]! - cp)
    ci++
  }
  for (; ci < chunks.length; ci++) out.chunk(chunks[ci]!, counts[ci]!)
  return out.finish()
}

function pastEnd(length: number): RealtimeError {
  return new RealtimeError(ErrorCode.InvalidOffset, `The op reaches past the end of the document (${length} code points)`)
}
