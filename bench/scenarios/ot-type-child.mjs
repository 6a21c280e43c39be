/**
 * One run of the ot-type scenario: `node ot-type-child.mjs <ours|ot-text-unicode> <size JSON>
 * <bundle of our type>`. Prints `{ transformPerSec, composePerSec, applyPerSec }` as JSON.
 * The ops are generated with our type from a fixed seed, the same for both implementations.
 */
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

const [impl, sizeJson, oursPath] = process.argv.slice(2)
const size = JSON.parse(sizeJson)
const ours = (await import(pathToFileURL(oursPath).href)).textType
const type = impl === 'ours' ? ours : impl === 'ot-text-unicode' ? createRequire(import.meta.url)('ot-text-unicode').type : undefined
if (!type) throw new Error(`unknown implementation ${impl}`)

// mulberry32
let seed = 18
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const int = (n) => Math.floor(random() * n)
const char = () => (random() < 0.02 ? '😀' : String.fromCharCode(97 + int(26)))
const text = (n) => Array.from({ length: n }, char).join('')

/** A random editing op on `doc` (our snapshot): one to three edits of 1–8 characters. */
function editOp(doc) {
  const edits = random() < 0.8 ? 1 : 3
  const op = []
  let at = 0
  for (let e = 0; e < edits && at < doc.length; e++) {
    const pos = at + int(Math.floor((doc.length - at) / (edits - e)))
    if (pos > at) op.push(pos - at)
    at = pos
    const kind = int(3)
    if (kind !== 1) op.push(text(1 + int(8)))
    if (kind !== 0) {
      const n = Math.min(1 + int(8), doc.length - at)
      if (n > 0) op.push({ d: doc.slice(at, at + n) })
      at += n
    }
  }
  return ours.normalize(op)
}

const doc10k = ours.create(text(10_000))
const pairs = Array.from({ length: size.pairs }, () => [editOp(doc10k), editOp(doc10k)])
const sequences = pairs.map(([a]) => [a, editOp(ours.apply(doc10k, a))])

/** Calls `body(i)` for i = 0, 1, … until `seconds` passed (checking every 256 calls); returns calls/s. */
function rate(count, seconds, body) {
  const start = process.hrtime.bigint()
  const end = start + BigInt(Math.round(seconds * 1e9))
  let calls = 0
  let now = start
  while (now < end) {
    for (let k = 0; k < 256; k++) body(calls++ % count)
    now = process.hrtime.bigint()
  }
  return calls / (Number(now - start) / 1e9)
}

// Check that the implementation agrees on the diamond before timing it.
for (const [a, b] of pairs.slice(0, 200)) {
  const left = ours.apply(ours.apply(doc10k, a), type.transform(b, a, 'right')).toString()
  const right = ours.apply(ours.apply(doc10k, b), type.transform(a, b, 'left')).toString()
  if (left !== right) throw new Error(`${impl}: transform does not converge`)
}
for (const [a, b] of sequences.slice(0, 200)) {
  if (ours.apply(doc10k, type.compose(a, b)).toString() !== ours.apply(ours.apply(doc10k, a), b).toString()) throw new Error(`${impl}: compose is wrong`)
}

const transform = ([a, b]) => {
  type.transform(a, b, 'left')
  type.transform(b, a, 'right')
}
rate(pairs.length, size.seconds / 3, (i) => transform(pairs[i]))
const transformPerSec = 2 * rate(pairs.length, size.seconds, (i) => transform(pairs[i]))
const compose = ([a, b]) => type.compose(a, b)
rate(sequences.length, size.seconds / 3, (i) => compose(sequences[i]))
const composePerSec = rate(sequences.length, size.seconds, (i) => compose(sequences[i]))

// Apply: single-character inserts and deletes at random places of a document of docKb × 1024
// code points, each op on the result of the one before.
let doc = ours.create(text(size.docKb * 1024))
const initial = doc
const applyOps = []
let expectedAtBaseline
for (let i = 0; i < size.applyOps; i++) {
  if (i === size.baselineApplyOps) expectedAtBaseline = doc.toString()
  const pos = int(doc.length + 1)
  const op = random() < 0.5 || pos === doc.length ? ours.normalize([pos, char()]) : ours.normalize([pos, { d: doc.slice(pos, pos + 1) }])
  applyOps.push(op)
  doc = ours.apply(doc, op)
}
const expected = doc.toString()
const count = impl === 'ours' ? size.applyOps : size.baselineApplyOps
// Warm up on a copy, then time one pass over the ops.
let warm = impl === 'ours' ? initial : initial.toString()
for (let i = 0; i < Math.min(count, 500); i++) warm = type.apply(warm, applyOps[i])
let snapshot = impl === 'ours' ? initial : initial.toString()
const start = process.hrtime.bigint()
for (let i = 0; i < count; i++) snapshot = type.apply(snapshot, applyOps[i])
const applyPerSec = count / (Number(process.hrtime.bigint() - start) / 1e9)
if (snapshot.toString() !== (count === size.applyOps ? expected : expectedAtBaseline)) throw new Error(`${impl}: apply gave the wrong text`)

process.stdout.write(JSON.stringify({ transformPerSec, composePerSec, applyPerSec }))
