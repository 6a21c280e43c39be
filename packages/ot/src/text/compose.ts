/** Compose: one op with the effect of two in a row. */
import { type TextComponent, type TextOp, append, trim } from './op.js'
import { OpReader } from './reader.js'
import { advance, codePointLength } from './unicode.js'

/**
 * One op that has the effect of `a` then `b` (`b` applies to the document `a` produced). Text `a`
 * inserts and `b` deletes disappears from the result; the deletes keep their text, so the result
 * inverts too.
 */
export function compose(a: readonly TextComponent[], b: readonly TextComponent[]): TextOp {
  const out: TextComponent[] = []
  const reader = new OpReader(a)
  for (const c of b) {
    if (typeof c === 'number') {
      // Keep what a did over the retained part; a's deletes take no room in the middle document.
      let n = c
      while (n > 0) {
        const piece = reader.take(n, 'd')
        append(out, piece)
        if (typeof piece === 'number' || typeof piece === 'string') n -= reader.taken
      }
    } else if (typeof c === 'string') {
      append(out, c)
    } else {
      // b deletes text of the middle document: text a kept is deleted from the original, text a
      // inserted is cancelled, and a's own deletes stand.
      const text = c.d
      let n = codePointLength(text)
      let at = 0 // UTF-16 offset into text
      while (n > 0) {
        const piece = reader.take(n, 'd')
        if (typeof piece === 'number') {
          const end = advance(text, at, piece)
          append(out, { d: text.slice(at, end) })
          at = end
          n -= piece
        } else if (typeof piece === 'string') {
          at = advance(text, at, reader.taken)
          n -= reader.taken
        } else {
          append(out, piece)
        }
      }
    }
  }
  while (!reader.done()) append(out, reader.take(Infinity))
  return trim(out)
}
