/**
 * The one place the documents layer takes the text type from, with the snapshot conversions it
 * needs.
 */
import { TextSnapshot, codePointLength, replaceOp, textType, type TextOp } from '../text/index.js'

export { codePointLength, replaceOp, textType, type TextOp }

/** The type's snapshot: immutable text indexed by code point (`length`, `slice`). */
export type Snapshot = TextSnapshot

/** A snapshot holding `text`. */
export function snapshotOf(text: string): Snapshot {
  return textType.create(text)
}

/** The text of `snapshot`. */
export function textOf(snapshot: Snapshot): string {
  return snapshot.toString()
}
