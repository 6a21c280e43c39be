/**
 * Code-point arithmetic on UTF-16 strings. Every position of the text type counts Unicode code
 * points, so an astral character (an emoji, say) is one position and no op can split it.
 */

/** Whether the UTF-16 unit `unit` is the first (high) half of a surrogate pair. */
function isHigh(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff
}

/**
 * The number of Unicode code points in `text`: `[...text].length`, without building the array.
 * A lone surrogate counts as one.
 */
export function codePointLength(text: string): number {
  let count = text.length
  for (let i = 0; i < text.length - 1; i++) {
    if (isHigh(text.charCodeAt(i))) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--
        i++
      }
    }
  }
  return count
}

/**
 * The UTF-16 index reached by moving `count` code points forward from the UTF-16 index `from` of
 * `text` (at most `text.length`). `from` must not point into the middle of a surrogate pair.
 */
export function advance(text: string, from: number, count: number): number {
  let i = from
  const end = text.length
  while (count > 0 && i < end) {
    if (isHigh(text.charCodeAt(i)) && i + 1 < end) {
      const next = text.charCodeAt(i + 1)
      i += next >= 0xdc00 && next <= 0xdfff ? 2 : 1
    } else {
      i++
    }
    count--
  }
  return i
}

/** The part of `text` from code point `start` up to (not including) code point `end`. */
export function sliceCodePoints(text: string, start: number, end = Infinity): string {
  const from = advance(text, 0, start)
  return end === Infinity ? text.slice(from) : text.slice(from, advance(text, from, end - start))
}

const loneSurrogate = /\p{Cs}/u

/** `String.prototype.isWellFormed` where the platform has it (Node.js 20, browsers since 2023). */
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed

/**
 * Whether `text` is well-formed UTF-16, i.e. has no lone surrogate: the platform's
 * `isWellFormed`, or else a regular expression (with the `u` flag it reads a surrogate pair as
 * one code point, so `\p{Cs}` matches only lone halves).
 */
export function isWellFormed(text: string): boolean {
  return nativeIsWellFormed === undefined ? !loneSurrogate.test(text) : nativeIsWellFormed.call(text)
}
