/** The snapshot of a text document: immutable text, indexed by code point. */
import { type Rope, ropeFromString } from './rope.js'
import { advance } from './unicode.js'

let ropeOf: (snapshot: TextSnapshot) => Rope
let fromRope: (rope: Rope) => TextSnapshot

/**
 * The text of a document as the text type holds it: immutable, in chunks, so that `apply` on a
 * large document costs about the size of the edit, not of the document. Make one with
 * `textType.create(text)` or {@link snapshotFromString}; read it with `toString()`.
 *
 * `JSON.stringify` turns it into its text (`toJSON`), so a store that saves snapshots as JSON
 * (ShareDB's, say) saves a plain string, and `apply`/`deserialize` accept that string back.
 */
export class TextSnapshot {
  readonly #rope: Rope
  #text: string | undefined

  static {
    ropeOf = (snapshot) => snapshot.#rope
    fromRope = (rope) => new TextSnapshot(rope)
  }

  private constructor(rope: Rope) {
    this.#rope = rope
  }

  /** The length of the text in Unicode code points (an emoji counts 1). */
  get length(): number {
    return this.#rope.length
  }

  /** The text. Built once per snapshot, on first use. */
  toString(): string {
    return (this.#text ??= this.#rope.chunks.join(''))
  }

  /** The text, for `JSON.stringify`. */
  toJSON(): string {
    return this.toString()
  }

  /**
   * The text from code point `start` up to (not including) code point `end`, both clamped to
   * `[0, length]`. Reads only the chunks in that range.
   * @param end defaults to the length.
   */
  slice(start = 0, end = this.length): string {
    start = Math.max(0, Math.min(start, this.length))
    end = Math.max(start, Math.min(end, this.length))
    const { chunks, counts } = this.#rope
    let out = ''
    let at = 0 // code point where chunk i starts
    for (let i = 0; i < chunks.length && at < end; at += counts[i]!, i++) {
      const count = counts[i]!
      if (at + count <= start) continue
      const chunk = chunks[i]!
      const from = start > at ? advance(chunk, 0, start - at) : 0
      const to = end < at + count ? advance(chunk, from, end - Math.max(start, at)) : chunk.length
      out += chunk.slice(from, to)
    }
    return out
  }
}

const loneSurrogates = /\p{Cs}/gu

/**
 * The snapshot of `text`. A lone surrogate (half of an emoji, cut by some other program) becomes
 * U+FFFD, so that every position of the document falls between two whole code points.
 */
export function snapshotFromString(text: string): TextSnapshot {
  return fromRope(ropeFromString(text.replace(loneSurrogates, '\uFFFD')))
}

/** The text of `snapshot` (a string is returned as it is). */
export function snapshotToString(snapshot: TextSnapshot | string): string {
  return typeof snapshot === 'string' ? snapshot : snapshot.toString()
}

/** The snapshot a string stands for, or `snapshot` itself. @internal */
export function toSnapshot(snapshot: TextSnapshot | string): TextSnapshot {
  return typeof snapshot === 'string' ? snapshotFromString(snapshot) : snapshot
}

/** The rope of a snapshot, for the functions of the type. @internal */
export function snapshotRope(snapshot: TextSnapshot): Rope {
  return ropeOf(snapshot)
}

/** The snapshot of a rope, for the functions of the type. @internal */
export function snapshotOfRope(rope: Rope): TextSnapshot {
  return fromRope(rope)
}
