/** Who a connection is: the name typed on the page (a demo: a real app verifies a token). */
export interface Editor {
  name: string
  /** A hue (0–359) derived from the name, for the caret others see. */
  hue: number
}

/** What the others see of a connection's cursor: its `cursorInfo`. */
export interface CursorInfo {
  name: string
  hue: number
}

/** The document the page edits unless the URL names one (`?doc=<id>`). */
export const DEFAULT_DOCUMENT = 'notes'

/** A document id the page accepts: 1 to 64 letters, digits, `-` or `_`. */
export const DOCUMENT_ID = /^[A-Za-z0-9_-]{1,64}$/

/** A stable hue for `name`. */
export function hueOf(name: string): number {
  let hash = 0
  for (const char of name.toLowerCase()) hash = (hash * 31 + char.codePointAt(0)!) % 360
  return hash
}
