/**
 * Seeded fuzzer of the text type against a naive model. FUZZ_RUNS sets the iterations (default
 * 10,000), FUZZ_SEED the seed; a failure names the seed and iteration to replay it alone.
 */
import { describe, expect, it } from 'vitest'
import {
  type TextOp,
  type TextSnapshot,
  checkOp,
  codePointLength,
  snapshotFromString,
  textType,
} from '../src/text/index.js'
import { CHUNK_MAX } from '../src/text/rope.js'
import { snapshotRope } from '../src/text/snapshot.js'
import { type Model, Random, isNormal, modelApply, opTexts, randomModel, randomOp, randomOps, wellFormed } from './text-model.js'

const runs = Number(process.env.FUZZ_RUNS ?? 10_000)
const seed = Number(process.env.FUZZ_SEED ?? 0x5eed)
const { apply, transform, compose, invert, normalize, transformPosition, transformSelection } = textType

/** Fails with `message` unless `condition` (cheaper than `expect` in the hot loop). */
function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message)
}

/** The snapshot's text, after checking the rope's invariants. */
function text(snapshot: TextSnapshot): string {
  const { chunks, counts, length } = snapshotRope(snapshot)
  let total = 0
  for (const [i, chunk] of chunks.entries()) {
    assert(chunk.length > 0 && chunk.length <= CHUNK_MAX, `chunk ${i} has ${chunk.length} code units`)
    assert(wellFormed(chunk), `chunk ${i} splits a surrogate pair`)
    assert(counts[i] === codePoints(chunk), `chunk ${i} counts ${counts[i]} code points`)
    total += counts[i]!
  }
  assert(length === total && snapshot.length === total, `the rope's length ${length} is not the sum of its chunks ${total}`)
  const s = snapshot.toString()
  assert(wellFormed(s), 'the text has a lone surrogate')
  return s
}

/** Code points of `s`, counted independently of the type. */
function codePoints(s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

function expectOp(op: TextOp): void {
  assert(isNormal(op), `not in normal form: ${JSON.stringify(op)}`)
  for (const t of opTexts(op)) assert(wellFormed(t), `lone surrogate in ${JSON.stringify(op)}`)
}

/** What the current case works on, for the failure message. */
let current: Record<string, unknown> = {}

function check(random: Random): void {
  const doc: Model = randomModel(random)
  const docText = doc.join('')
  current = { doc: docText }
  const snapshot = snapshotFromString(docText)
  expect(text(snapshot)).toBe(docText)

  // apply, on a snapshot and on a string, against the model; the input snapshot is unchanged.
  const a = randomOp(random, doc)
  const afterA = modelApply(doc, a)
  current.a = a
  expect(checkOp(a, doc.length)).toBe(a)
  const applied = apply(snapshot, a)
  expect(text(applied)).toBe(afterA.join(''))
  expect(apply(docText, a)).toBe(afterA.join(''))
  expect(text(snapshot)).toBe(docText)
  expectOp(normalize(a))
  expect(text(apply(snapshot, normalize(a)))).toBe(afterA.join(''))

  // compose
  const b = randomOp(random, afterA)
  const afterAB = modelApply(afterA, b)
  current.b = b
  const ab = compose(a, b)
  expectOp(ab)
  expect(text(apply(snapshot, ab))).toBe(afterAB.join(''))

  // invert round trips
  const invA = invert(a)
  expectOp(invA)
  expect(text(apply(applied, invA))).toBe(docText)
  expect(invert(invA)).toEqual(normalize(a))
  expect(text(apply(apply(snapshot, ab), invert(ab)))).toBe(docText)

  // TP1 for two concurrent ops
  const c = randomOp(random, doc)
  const afterC = modelApply(doc, c)
  current.c = c
  const cA = transform(c, a, 'right')
  const aC = transform(a, c, 'left')
  expectOp(cA)
  expectOp(aC)
  const viaA = text(apply(applied, cA))
  expect(viaA).toBe(text(apply(snapshotFromString(afterC.join('')), aC)))
  // ... whose result keeps everything both inserted.
  expect(codePointLength(viaA)).toBe(doc.length + [a, c].reduce((n, op) => n + opGrowth(op), 0) + doubleDeleted(doc, a, c))

  // TP1 for lists of ops (the n² transform a server and a client do)
  const left = randomOps(random, doc, random.between(1, 4))
  const right = randomOps(random, doc, random.between(1, 4))
  Object.assign(current, { left: left.ops, right: right.ops })
  const [leftOut, rightOut] = transformLists(left.ops, right.ops)
  let l: TextSnapshot = snapshotFromString(left.result.join(''))
  for (const op of rightOut) l = apply(l, op)
  let r: TextSnapshot = snapshotFromString(right.result.join(''))
  for (const op of leftOut) r = apply(r, op)
  expect(text(l)).toBe(text(r))
  // TP1 for the lists composed (the diamond). Not necessarily the same text as above: where both
  // insert at one place, the order may differ between T(x, A·B) and T(T(x, A), B).
  const leftAll = left.ops.reduce<TextOp>((x, y) => compose(x, y), [])
  const rightAll = right.ops.reduce<TextOp>((x, y) => compose(x, y), [])
  expectOp(leftAll)
  expect(text(apply(snapshotFromString(left.result.join('')), transform(rightAll, leftAll, 'right')))).toBe(
    text(apply(snapshotFromString(right.result.join('')), transform(leftAll, rightAll, 'left'))),
  )

  // cursors: within the new document, in order, and own-op carets follow surviving characters
  const positions = [0, doc.length, random.int(doc.length + 1), random.int(doc.length + 1)].sort((x, y) => x - y)
  let previous = -1
  for (const p of positions) {
    const q = transformPosition(p, a)
    expect(q).toBeGreaterThanOrEqual(0)
    expect(q).toBeLessThanOrEqual(afterA.length)
    expect(q).toBeGreaterThanOrEqual(previous)
    previous = q
    const own = transformPosition(p, a, true)
    expect(own).toBeGreaterThanOrEqual(q)
    expect(own).toBeLessThanOrEqual(afterA.length)
  }
  const survivors = trackCharacters(doc, a)
  const p = random.int(doc.length + 1)
  if (p < doc.length && survivors[p] !== undefined) expect(transformPosition(p, a, true)).toBe(survivors[p])
  const selection = transformSelection({ anchor: positions[1]!, head: positions[2]! }, a)
  expect(selection.anchor).toBeLessThanOrEqual(afterA.length)
  expect(selection.head).toBeLessThanOrEqual(afterA.length)
}

/** Code points `op` adds minus those it deletes. */
function opGrowth(op: TextOp): number {
  return op.reduce<number>((n, c) => n + (typeof c === 'string' ? [...c].length : typeof c === 'object' ? -[...c.d].length : 0), 0)
}

/** Code points of `doc` that both `a` and `b` delete. */
function doubleDeleted(doc: Model, a: TextOp, b: TextOp): number {
  const da = deletedSet(a)
  let n = 0
  for (const i of deletedSet(b)) if (da.has(i)) n++
  return n
}

function deletedSet(op: TextOp): Set<number> {
  const set = new Set<number>()
  let i = 0
  for (const c of op) {
    if (typeof c === 'number') i += c
    else if (typeof c === 'object') for (let k = [...c.d].length; k > 0; k--) set.add(i++)
  }
  return set
}

/** For each code point of `doc`, its index after `op`, or undefined when `op` deletes it. */
function trackCharacters(doc: Model, op: TextOp): (number | undefined)[] {
  const where: (number | undefined)[] = []
  let i = 0
  let at = 0
  for (const c of op) {
    if (typeof c === 'number') for (let k = 0; k < c; k++) where[i++] = at++
    else if (typeof c === 'string') at += [...c].length
    else for (let k = [...c.d].length; k > 0; k--) where[i++] = undefined
  }
  while (i < doc.length) where[i++] = at++
  return where
}

/** Transforms a list of server ops and a list of client ops past each other (as ot-fuzzer does). */
function transformLists(serverOps: TextOp[], clientOps: TextOp[]): [TextOp[], TextOp[]] {
  const client = clientOps.slice()
  const server: TextOp[] = []
  for (let s of serverOps) {
    for (let i = 0; i < client.length; i++) {
      const s2 = transform(s, client[i]!, 'left')
      client[i] = transform(client[i]!, s, 'right')
      s = s2
    }
    server.push(s)
  }
  return [server, client]
}

describe('the text type under a seeded fuzzer', () => {
  it(`agrees with a naive model over ${runs} random cases (seed ${seed})`, () => {
    const deadline = Date.now() + 150_000
    let i = 0
    for (; i < runs && Date.now() < deadline; i++) {
      const random = new Random((seed * 1_000_003 + i) >>> 0)
      try {
        check(random)
      } catch (error) {
        throw new Error(`fuzz case failed: FUZZ_SEED=${seed}, iteration ${i}: ${JSON.stringify(current).slice(0, 2000)}`, { cause: error })
      }
    }
    expect(i, 'iterations run within the time bound').toBe(runs)
  }, 180_000)
})
