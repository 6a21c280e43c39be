/** One edit that turns a text into another: `removed` code points at `at` replaced by `inserted`. */
export interface TextChange {
  at: number
  removed: number
  inserted: string
}

/**
 * The change from `before` to `after`, in code points: the common start and end kept, the middle
 * replaced. Undefined when they are equal.
 */
export function textChange(before: string, after: string): TextChange | undefined {
  if (before === after) return undefined
  const a = [...before]
  const b = [...after]
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let end = 0
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++
  return { at: start, removed: a.length - start - end, inserted: b.slice(start, b.length - end).join('') }
}
