/**
 * Test support for the text type: a seeded random source, random documents and ops over a naive
 * model (a document as an array of code points), independent of the type's own code.
 */
import { type TextComponent, type TextOp } from '../src/text/index.js'

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Characters to build text from: ASCII, a BMP accent, astral emoji and a musical symbol, a newline. */
export const alphabet = ['a', 'b', 'c', 'é', '😀', '𝄞', '👍', '🏽', '\n', ' ']

export class Random {
  readonly next: () => number
  /** @param seed a seed, or a source of floats in [0, 1) to draw from. */
  constructor(seed: number | (() => number)) {
    this.next = typeof seed === 'number' ? seededRandom(seed) : seed
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1)
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!
  }
  /** Code points of random text. */
  chars(n: number): string[] {
    return Array.from({ length: n }, () => this.pick(alphabet))
  }
}

/** A document of the model: one string per code point. */
export type Model = string[]

/** A random document: mostly short, sometimes spanning several chunks of the rope. */
export function randomModel(random: Random): Model {
  const size = random.next() < 0.1 ? random.between(900, 3500) : random.between(0, 40)
  return random.chars(size)
}

/** Applies `op` to the model: the reference semantics the type is checked against. */
export function modelApply(doc: Model, op: readonly TextComponent[]): Model {
  const out: Model = []
  let i = 0
  for (const c of op) {
    if (typeof c === 'number') {
      if (i + c > doc.length) throw new Error('model: retain past the end')
      out.push(...doc.slice(i, i + c))
      i += c
    } else if (typeof c === 'string') {
      out.push(...c)
    } else {
      const cps = [...c.d]
      if (doc.slice(i, i + cps.length).join('') !== c.d) throw new Error('model: delete mismatch')
      i += cps.length
    }
  }
  out.push(...doc.slice(i))
  return out
}

/**
 * A random op that fits `doc`. Not always in normal form: it may have neighbours of one kind, a
 * delete before an insert and a trailing retain, which every function must accept.
 */
export function randomOp(random: Random, doc: Model): TextOp {
  const op: TextOp = []
  let i = 0
  const parts = random.between(0, 5)
  const big = doc.length > 100
  for (let p = 0; p < parts; p++) {
    const kind = random.int(3)
    if (kind === 0 && i < doc.length) {
      const n = random.between(1, big ? doc.length - i : Math.min(6, doc.length - i))
      op.push(n)
      i += n
    } else if (kind === 1) {
      op.push(random.chars(random.between(1, big && random.next() < 0.2 ? 1500 : 4)).join(''))
    } else if (i < doc.length) {
      const n = random.between(1, Math.min(big && random.next() < 0.2 ? 1500 : 4, doc.length - i))
      op.push({ d: doc.slice(i, i + n).join('') })
      i += n
    }
  }
  if (i < doc.length && random.next() < 0.1) op.push(random.between(1, doc.length - i))
  return op
}

/** A list of ops, each applying to the document the previous one produced. */
export function randomOps(random: Random, doc: Model, count: number): { ops: TextOp[]; result: Model } {
  const ops: TextOp[] = []
  let result = doc
  for (let i = 0; i < count; i++) {
    const op = randomOp(random, result)
    ops.push(op)
    result = modelApply(result, op)
  }
  return { ops, result }
}

/** Every string in an op, for the lone-surrogate check. */
export function opTexts(op: readonly TextComponent[]): string[] {
  return op.flatMap((c) => (typeof c === 'number' ? [] : [typeof c === 'string' ? c : c.d]))
}

/** Whether `text` has no lone surrogate (independent of the type's own check). */
export function wellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i)
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = text.charCodeAt(i + 1)
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false
      i++
    } else if (u >= 0xdc00 && u <= 0xdfff) return false
  }
  return true
}

/** Whether `op` is in normal form, checked directly rather than with `normalize`. */
export function isNormal(op: readonly TextComponent[]): boolean {
  for (const [i, c] of op.entries()) {
    const prev = op[i - 1]
    if (typeof c === 'number' && (c <= 0 || typeof prev === 'number' || i === op.length - 1)) return false
    if (typeof c === 'string' && (c === '' || typeof prev === 'string' || (typeof prev === 'object'))) return false
    if (typeof c === 'object' && (c.d === '' || typeof prev === 'object')) return false
  }
  return true
}
