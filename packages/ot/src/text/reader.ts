/**
 * Reads an op component by component, splitting components by code points on demand: the
 * iterator behind `transform` and `compose`.
 */
import { type TextComponent } from './op.js'
import { advance, codePointLength } from './unicode.js'

/** What a reader may not split when asked for fewer code points: inserts (`'i'`) or deletes (`'d'`). */
export type Indivisible = 'i' | 'd'

export class OpReader {
  readonly #op: readonly TextComponent[]
  #index = 0
  /** Offset into the current component: code points for a retain, UTF-16 units for text. */
  #offset = 0
  /** The length in code points of the last piece taken. */
  taken = 0

  constructor(op: readonly TextComponent[]) {
    this.#op = op
  }

  /** Whether the next piece is (part of) an insert. */
  peekIsInsert(): boolean {
    return typeof this.#op[this.#index] === 'string'
  }

  /** Whether every component was taken. */
  done(): boolean {
    return this.#index >= this.#op.length
  }

  /**
   * The next piece, at most `n` code points long unless it is of the `indivisible` kind (then it is
   * whole); `n` of `Infinity` takes the rest of the component. Past the end of the op, the piece is
   * a retain of `n` (the op keeps the rest of the document). Sets {@link taken} to its length.
   */
  take(n: number, indivisible?: Indivisible): TextComponent {
    const c = this.#op[this.#index]
    if (c === undefined) {
      this.taken = n
      return n
    }
    if (typeof c === 'number') {
      const rest = c - this.#offset
      if (rest <= n) {
        this.#next()
        this.taken = rest
        return rest
      }
      this.#offset += n
      this.taken = n
      return n
    }
    const text = typeof c === 'string' ? c : c.d
    const whole = indivisible === (typeof c === 'string' ? 'i' : 'd') || n === Infinity
    const start = this.#offset
    let end: number
    if (whole) end = text.length
    else {
      end = advance(text, start, n)
    }
    const piece = start === 0 && end === text.length ? text : text.slice(start, end)
    // advance stops early only at the end of the text, so a split piece has exactly n code points.
    this.taken = end === text.length ? codePointLength(piece) : n
    if (end === text.length) this.#next()
    else this.#offset = end
    return typeof c === 'string' ? piece : start === 0 && end === text.length ? c : { d: piece }
  }

  #next(): void {
    this.#index++
    this.#offset = 0
  }
}
