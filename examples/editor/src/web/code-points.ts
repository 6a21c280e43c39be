/**
 * The textarea counts UTF-16 code units, the document counts code points (an emoji is one code
 * point, two code units). These convert between the two in `text`.
 */

/** The code point index of UTF-16 offset `units` in `text` (an offset inside a pair counts as after it). */
export function toCodePoints(text: string, units: number): number {
  let points = 0
  for (let i = 0; i < units && i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) i++
    points++
  }
  return points
}

/** The UTF-16 offset of code point index `points` in `text`. */
export function toUnits(text: string, points: number): number {
  let units = 0
  for (let p = 0; p < points && units < text.length; p++) {
    const code = text.charCodeAt(units)
    units += code >= 0xd800 && code <= 0xdbff && units + 1 < text.length ? 2 : 1
  }
  return units
}
