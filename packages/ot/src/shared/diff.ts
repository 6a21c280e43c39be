import type { TextOp } from './ot-text.js'

/**
 * An op that turns `before` into `after`: it keeps their common start and end and replaces the
 * middle (a delete carrying the old text, then an insert). Used to rebase pending edits on a
 * snapshot when the ops between are no longer kept. Counts code points, so it never splits a
 * surrogate pair. Linear in the length of the texts.
 */
export function diffOp(before: string, after: string): TextOp {
  if (before === after) return []
  const a = [...before]
  const b = [...after]
  let start = 0
  const shorter = Math.min(a.length, b.length)
  while (start < shorter && a[start] === b[start]) start++
  let end = 0
  while (end < shorter - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++
  const op: TextOp = []
  if (start > 0) op.push(start)
  const removed = a.slice(start, a.length - end).join('')
  const inserted = b.slice(start, b.length - end).join('')
  if (removed !== '') op.push({ d: removed })
  if (inserted !== '') op.push(inserted)
  return op
}
