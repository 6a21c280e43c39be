/** Distinct texts kept, at most: beyond, a text not seen yet is left as it is. */
export const MAX_SHARED_TEXTS = 256
/** Longer texts are never kept, so the table holds at most ~130 KB. */
const MAX_LENGTH = 256

/** One copy of each text seen, by value. */
const texts = new Map<string, string>()

/**
 * The first copy seen of a text that many requests carry alike (the URL that opens a session:
 * `/realtime?transport=sse&hello=1`), so that the requests held for a whole connection share one
 * string rather than keeping a copy each; nobody can tell equal strings apart. Only the first
 * `MAX_SHARED_TEXTS` distinct texts (of at most 256 characters) are kept: texts that differ per
 * request (a token in the URL) fill the table only that far.
 */
export function sharedText(text: string): string {
  if (text.length > MAX_LENGTH) return text
  const shared = texts.get(text)
  if (shared !== undefined) return shared
  if (texts.size < MAX_SHARED_TEXTS) texts.set(text, text)
  return text
}

/** How many distinct texts are kept (for tests). */
export function sharedTextCount(): number {
  return texts.size
}
