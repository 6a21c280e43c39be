/**
 * The text of a snapshot, held as chunks of at most {@link CHUNK_MAX} UTF-16 code units that never
 * split a surrogate pair, each with its length in code points. An edit copies the array of chunk
 * references and rebuilds only the chunks it touches, so applying an op costs the number of
 * chunks plus the text edited, not a scan of the document from its start. Not exported from the
 * package: reach it through `TextSnapshot`.
 */
import { codePointLength } from './unicode.js'

/** Chunks of the text in order, their lengths in code points, and the total. Never mutated. */
export interface Rope {
  readonly chunks: readonly string[]
  readonly counts: readonly number[]
  readonly length: number
}

/** A chunk grows to this many code units before it is split. */
export const CHUNK_MAX = 1024
/** Chunks are cut at about this many code units. */
const CHUNK_TARGET = 512
/** A chunk shorter than this that an edit touched is merged with its neighbour. */
const CHUNK_MIN = 128

/** The rope of `text`. */
export function ropeFromString(text: string): Rope {
  const builder = new RopeBuilder()
  builder.text(text, codePointLength(text))
  return builder.finish()
}

/** Where a cut near `at` must go so as not to split a surrogate pair of `text`. */
function cutAt(text: string, at: number): number {
  const unit = text.charCodeAt(at - 1)
  return unit >= 0xd800 && unit <= 0xdbff ? at + 1 : at
}

/** Builds a new rope from untouched chunks and pieces of text, keeping chunks between their bounds. */
export class RopeBuilder {
  readonly #chunks: string[] = []
  readonly #counts: number[] = []
  #length = 0
  #buf = ''
  #bufCount = 0

  /** Appends text of `count` code points. */
  text(text: string, count: number): void {
    if (text === '') return
    this.#buf += text
    this.#bufCount += count
    if (this.#buf.length > CHUNK_MAX) this.#split()
  }

  /** Appends a whole chunk of an existing rope, by reference when nothing is pending. */
  chunk(chunk: string, count: number): void {
    if (this.#buf !== '' && (this.#buf.length < CHUNK_MIN || this.#buf.length + chunk.length <= CHUNK_MAX)) {
      this.text(chunk, count)
      return
    }
    this.#flush()
    this.#push(chunk, count)
  }

  /** The rope built. */
  finish(): Rope {
    const last = this.#chunks.length - 1
    if (this.#buf !== '' && this.#buf.length < CHUNK_MIN && last >= 0 && this.#chunks[last]!.length + this.#buf.length <= CHUNK_MAX) {
      this.#chunks[last] += this.#buf
      this.#counts[last]! += this.#bufCount
      this.#length += this.#bufCount
    } else {
      this.#flush()
    }
    return { chunks: this.#chunks, counts: this.#counts, length: this.#length }
  }

  #split(): void {
    while (this.#buf.length > CHUNK_MAX) {
      const at = cutAt(this.#buf, CHUNK_TARGET)
      const piece = this.#buf.slice(0, at)
      const count = codePointLength(piece)
      this.#push(piece, count)
      this.#buf = this.#buf.slice(at)
      this.#bufCount -= count
    }
  }

  #flush(): void {
    if (this.#buf === '') return
    this.#push(this.#buf, this.#bufCount)
    this.#buf = ''
    this.#bufCount = 0
  }

  #push(chunk: string, count: number): void {
    this.#chunks.push(chunk)
    this.#counts.push(count)
    this.#length += count
  }
}
