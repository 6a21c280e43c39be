/** Transform: ops and positions past a concurrent op. */
import { type TextComponent, type TextOp, append, trim } from './op.js'
import { OpReader } from './reader.js'
import { codePointLength } from './unicode.js'

/**
 * Which of two concurrent ops goes first where both insert at one position: `'left'` means `op`'s
 * insert is placed before `otherOp`'s.
 */
export type Side = 'left' | 'right'

/**
 * `op` rewritten to apply after `otherOp`, both made on the same document. `side` breaks the tie
 * where both insert at one position: with `'left'` the insert of `op` comes first. The two sides
 * of a pair must be given opposite sides (`transform(a, b, 'left')` with
 * `transform(b, a, 'right')`); then applying `a` then `transform(b, a, 'right')` gives the same
 * text as `b` then `transform(a, b, 'left')`.
 *
 * Text that both delete is deleted once; text that `otherOp` inserts inside a range `op` deletes
 * is kept (the delete is split around it).
 */
export function transform(op: readonly TextComponent[], otherOp: readonly TextComponent[], side: Side): TextOp {
  if (side !== 'left' && side !== 'right') throw new TypeError(`side must be 'left' or 'right', not ${String(side)}`)
  const out: TextComponent[] = []
  const reader = new OpReader(op)
  for (const c of otherOp) {
    if (typeof c === 'number') {
      // Copy what op does over the retained part, inserts included.
      let n = c
      while (n > 0) {
        const piece = reader.take(n, 'i')
        append(out, piece)
        if (typeof piece !== 'string') n -= reader.taken
      }
    } else if (typeof c === 'string') {
      if (side === 'left') while (reader.peekIsInsert()) append(out, reader.take(Infinity))
      append(out, codePointLength(c))
    } else {
      // otherOp deleted this text: op's retains and deletes of it vanish, its inserts stay.
      let n = codePointLength(c.d)
      while (n > 0) {
        const piece = reader.take(n, 'i')
        if (typeof piece === 'string') append(out, piece)
        else n -= reader.taken
      }
    }
  }
  while (!reader.done()) append(out, reader.take(Infinity))
  return trim(out)
}

/**
 * A selection: a caret (one position), or a range from `anchor` (where it started) to `head`
 * (where the caret is), as an object or a pair. Positions count code points.
 */
export type TextSelection = number | readonly [number, number] | { readonly anchor: number; readonly head: number }

/**
 * Where position `pos` (a caret, in code points) is after `op`. Text inserted at the caret goes
 * before it (a remote user's typing does not push your caret), unless `isOwnOp`: then it goes
 * after it (your own typing moves your caret). A caret inside deleted text moves to where the
 * deletion was. The result is always within the new document when `pos` was within the old one.
 * @param isOwnOp defaults to false.
 */
export function transformPosition(pos: number, op: readonly TextComponent[], isOwnOp = false): number {
  let cursor = pos // the position, moved along
  let at = 0 // where op's walk is, in the new document
  for (const c of op) {
    if (at > cursor || (at === cursor && !isOwnOp)) break
    if (typeof c === 'number') {
      at += c
    } else if (typeof c === 'string') {
      const n = codePointLength(c)
      at += n
      cursor += n
    } else {
      cursor -= Math.min(codePointLength(c.d), cursor - at)
    }
  }
  return cursor
}

/** {@link transformPosition} for both ends of a selection; returns a selection of the same shape. */
export function transformSelection<S extends TextSelection>(selection: S, op: readonly TextComponent[], isOwnOp = false): S {
  if (typeof selection === 'number') return transformPosition(selection, op, isOwnOp) as S
  if (Array.isArray(selection)) {
    const [a, b] = selection as readonly [number, number]
    return [transformPosition(a, op, isOwnOp), transformPosition(b, op, isOwnOp)] as unknown as S
  }
  const { anchor, head } = selection as { anchor: number; head: number }
  return { ...(selection as object), anchor: transformPosition(anchor, op, isOwnOp), head: transformPosition(head, op, isOwnOp) } as S
}
