/** Building the ops an editor makes: insert, delete and replace at a position. */
import { ErrorCode, RealtimeError } from '@org/realtime-core'
import { type TextOp, normalize } from './op.js'
import { type TextSnapshot } from './snapshot.js'
import { codePointLength, isWellFormed } from './unicode.js'

/**
 * The op that inserts `text` at code point `pos`.
 * @param docLength the document's length in code points; when given, `pos` must be within it.
 * @throws RealtimeError `INVALID_OFFSET` when `pos` is negative, not an integer or past `docLength`;
 *   `BAD_FRAME` when `text` has a lone surrogate.
 */
export function insertOp(pos: number, text: string, docLength?: number): TextOp {
  checkPosition(pos, docLength)
  checkText(text)
  return normalize([pos, text])
}

/**
 * The op that deletes `deletedText`, which starts at code point `pos` (deletes carry their text).
 * @param docLength the document's length in code points; when given, the deletion must end within it.
 * @throws RealtimeError `INVALID_OFFSET` when it does not fit.
 */
export function deleteOp(pos: number, deletedText: string, docLength?: number): TextOp {
  checkPosition(pos, docLength)
  checkText(deletedText)
  const end = pos + codePointLength(deletedText)
  if (docLength !== undefined && end > docLength) throw outside(end, docLength)
  return normalize([pos, { d: deletedText }])
}

/**
 * The op that replaces the code points `start` to `end` of `snapshot` (the deleted text is read
 * from it) with `text`, which may be empty: a delete, an insert or both.
 * @param text defaults to ''.
 * @throws RealtimeError `INVALID_OFFSET` when the range is not within the document.
 */
export function replaceOp(snapshot: TextSnapshot, start: number, end: number, text = ''): TextOp {
  checkPosition(start, snapshot.length)
  checkPosition(end, snapshot.length)
  if (end < start) throw new RealtimeError(ErrorCode.InvalidOffset, `The range ends (${end}) before it starts (${start})`)
  checkText(text)
  // Built in normal form (retain, insert, delete; nothing empty): one edit per keystroke comes here.
  const op: TextOp = []
  if (start > 0 && (text !== '' || end > start)) op.push(start)
  if (text !== '') op.push(text)
  if (end > start) op.push({ d: snapshot.slice(start, end) })
  return op
}

function checkText(text: string): void {
  if (!isWellFormed(text)) throw new RealtimeError(ErrorCode.BadFrame, 'The text has a lone surrogate (half of a character)')
}

function checkPosition(pos: number, docLength: number | undefined): void {
  if (!Number.isSafeInteger(pos) || pos < 0) throw new RealtimeError(ErrorCode.InvalidOffset, `Position ${pos} is not a code-point index`)
  if (docLength !== undefined && pos > docLength) throw outside(pos, docLength)
}

function outside(pos: number, docLength: number): RealtimeError {
  return new RealtimeError(ErrorCode.InvalidOffset, `Position ${pos} is past the end of the document (${docLength} code points)`)
}
