/** Validation of ops that arrive from outside: shape, size limits and fit to a document. */
import { ErrorCode, RealtimeError } from '@org/realtime-core'
import { type TextOp } from './op.js'
import { codePointLength, isWellFormed } from './unicode.js'

/** Size limits of one op, checked by {@link checkOp}. */
export interface TextOpLimits {
  /**
   * Components (retains, inserts, deletes) an op may have. A keystroke has up to 3; a long
   * offline session composed into one op may have a few per place edited.
   * @default 10000
   */
  maxComponents: number
  /**
   * UTF-16 code units of text an op may carry, inserted and deleted text added up (so deleting a
   * whole document counts its length).
   * @default 1048576
   */
  maxTextLength: number
}

/** The default {@link TextOpLimits}. */
export const DEFAULT_TEXT_OP_LIMITS: Readonly<TextOpLimits> = Object.freeze({ maxComponents: 10_000, maxTextLength: 1_048_576 })

/**
 * Throws unless `op` is a well-formed text op within `limits`, and, when `docLength` (code points)
 * is given, one that fits a document of that length:
 *
 * - `BAD_FRAME`: not an array, or a component that is not a positive safe integer, a non-empty
 *   string or `{ d: non-empty string }`, or text with a lone surrogate;
 * - `PAYLOAD_TOO_LARGE`: more than `maxComponents` components or `maxTextLength` code units of text;
 * - `INVALID_OFFSET`: it retains or deletes past the end of the document. (Whether deleted text
 *   matches the document is checked by `apply`, with the same code.)
 *
 * Ops need not be in normal form. Returns `op`, typed.
 */
export function checkOp(op: unknown, docLength?: number, limits: Partial<TextOpLimits> = {}): TextOp {
  const maxComponents = limits.maxComponents ?? DEFAULT_TEXT_OP_LIMITS.maxComponents
  const maxTextLength = limits.maxTextLength ?? DEFAULT_TEXT_OP_LIMITS.maxTextLength
  if (!Array.isArray(op)) throw bad('a text op must be an array')
  if (op.length > maxComponents) {
    throw new RealtimeError(ErrorCode.PayloadTooLarge, `A text op may have at most ${maxComponents} components; this one has ${op.length}`)
  }
  let text = 0
  let base = 0
  // Once per submitted op and per local edit: an indexed loop, without an entry array per component.
  for (let i = 0; i < op.length; i++) {
    const c: unknown = op[i]
    if (typeof c === 'number') {
      if (!Number.isSafeInteger(c) || c <= 0) throw bad(`component ${i} retains ${c}: retains must be positive integers`)
      base += c
    } else if (typeof c === 'string') {
      text = checkText(c, i, 'inserts', text, maxTextLength)
    } else if (typeof c === 'object' && c !== null && !Array.isArray(c) && Object.keys(c).length === 1 && typeof (c as { d?: unknown }).d === 'string') {
      const d = (c as { d: string }).d
      text = checkText(d, i, 'deletes', text, maxTextLength)
      if (docLength !== undefined) base += codePointLength(d)
    } else {
      throw bad(`component ${i} is neither a retain (number), an insert (string) nor a delete ({ d: string })`)
    }
  }
  if (docLength !== undefined && base > docLength) {
    throw new RealtimeError(ErrorCode.InvalidOffset, `The op reaches code point ${base}, past the end of the document (${docLength} code points)`)
  }
  return op as TextOp
}

/** Checks the text of an insert or delete; returns the op's running total of text. */
function checkText(text: string, index: number, what: string, total: number, max: number): number {
  if (text === '') throw bad(`component ${index} ${what} nothing`)
  total += text.length
  if (total > max) throw new RealtimeError(ErrorCode.PayloadTooLarge, `A text op may carry at most ${max} UTF-16 code units of text`)
  if (!isWellFormed(text)) throw bad(`component ${index} ${what} text with a lone surrogate`)
  return total
}

function bad(message: string): RealtimeError {
  return new RealtimeError(ErrorCode.BadFrame, `Malformed text op: ${message}`)
}
