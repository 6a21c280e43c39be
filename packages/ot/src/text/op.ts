/**
 * The op format of the text type and the operations on it that need no document: lengths,
 * normalization and inversion.
 */
import { codePointLength } from './unicode.js'

/**
 * Deletes the code points of `d` at the current position. The op carries the deleted text, so it
 * can be inverted (undo) and checked against the document.
 */
export interface TextDelete {
  /** The text deleted, exactly as it is in the document. */
  readonly d: string
}

/**
 * One component of a {@link TextOp}: a positive integer retains (skips) that many code points, a
 * string inserts itself, `{ d: text }` deletes `text`.
 */
export type TextComponent = number | string | TextDelete

/**
 * An edit of a plain-text document, walked from its start: `[5, 'hi', { d: 'x' }]` keeps 5 code
 * points, inserts `hi`, deletes the `x` that followed. Text after the last component is kept.
 *
 * In normal form (what every function of the type returns) no component is empty, neighbours
 * differ in kind, an insert comes before a delete at the same place and there is no trailing
 * retain.
 */
export type TextOp = TextComponent[]

/** Whether `c` is a delete component. */
export function isDelete(c: TextComponent): c is TextDelete {
  return typeof c === 'object'
}

/** The code points of the document that `c` reads: retained or deleted (0 for an insert). */
export function baseLengthOf(c: TextComponent): number {
  return typeof c === 'number' ? c : typeof c === 'string' ? 0 : codePointLength(c.d)
}

/** The code points a document must have for `op` to apply to it, at least (retained + deleted). */
export function opBaseLength(op: readonly TextComponent[]): number {
  let n = 0
  for (const c of op) n += baseLengthOf(c)
  return n
}

/** How many code points `op` adds to a document's length (negative when it removes more). */
export function opLengthChange(op: readonly TextComponent[]): number {
  let n = 0
  for (const c of op) {
    if (typeof c === 'string') n += codePointLength(c)
    else if (typeof c === 'object') n -= codePointLength(c.d)
  }
  return n
}

/**
 * Appends `c` to `op` in place, keeping the normal form: empty components are dropped, neighbours
 * of one kind merged, and an insert placed before the deletes it follows (deleting then inserting
 * at one place is the same edit as inserting then deleting). Trailing retains are left for
 * {@link trim}.
 */
export function append(op: TextComponent[], c: TextComponent): void {
  const last = op.length - 1
  if (typeof c === 'number') {
    if (c === 0) return
    if (last >= 0 && typeof op[last] === 'number') op[last] = (op[last] as number) + c
    else op.push(c)
  } else if (typeof c === 'string') {
    if (c === '') return
    const prev = op[last]
    if (typeof prev === 'string') op[last] = prev + c
    else if (prev !== undefined && isDelete(prev)) {
      const before = op[last - 1]
      if (typeof before === 'string') op[last - 1] = before + c
      else op.splice(last, 0, c)
    } else op.push(c)
  } else {
    if (c.d === '') return
    const prev = op[last]
    if (prev !== undefined && isDelete(prev)) op[last] = { d: prev.d + c.d }
    else op.push({ d: c.d })
  }
}

/** Removes a trailing retain from `op` in place (text after the last component is kept anyway). */
export function trim(op: TextComponent[]): TextOp {
  if (op.length > 0 && typeof op[op.length - 1] === 'number') op.pop()
  return op
}

/** The normal form of `op`, as a new array (see {@link TextOp}). `op` must be well-formed. */
export function normalize(op: readonly TextComponent[]): TextOp {
  const out: TextComponent[] = []
  for (const c of op) append(out, c)
  return trim(out)
}

/**
 * The op that undoes `op`: applied to the document `op` produced, it gives back the document
 * `op` was applied to. Inserts become deletes and deletes inserts; retains stay.
 */
export function invert(op: readonly TextComponent[]): TextOp {
  const out: TextComponent[] = []
  for (const c of op) append(out, typeof c === 'number' ? c : typeof c === 'string' ? { d: c } : c.d)
  return trim(out)
}
