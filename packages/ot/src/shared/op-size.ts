import type { TextOp } from './ot-text.js'

/**
 * Whether the JSON of `op` is longer than `max` characters. An upper bound of its length (every
 * character of text escaped as `\uXXXX`, every number at its longest) answers most ops without
 * serializing them; only ops near the limit are serialized to count exactly. Every submitted op
 * and every local edit is checked, so this runs once per keystroke on both sides.
 */
export function jsonLongerThan(op: TextOp, max: number): boolean {
  let bound = 2
  for (const component of op as readonly unknown[]) {
    if (typeof component === 'number') bound += 25
    else if (typeof component === 'string') bound += 3 + 6 * component.length
    else if (typeof (component as { d?: unknown } | null)?.d === 'string' && Object.keys(component as object).length === 1) bound += 9 + 6 * (component as { d: string }).d.length
    // Not a component of a text op (the op is checked next): counted exactly.
    else return JSON.stringify(op).length > max
    if (bound > max) break
  }
  return bound > max && JSON.stringify(op).length > max
}
