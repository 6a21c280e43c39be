/**
 * The ottypes fuzzer (npm `ot-fuzzer`, by the author of ShareDB's types) run against the text
 * type: apply, invert, compose, the diamond and the n² transform of op lists, from three replicas.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type TextOp, textType } from '../src/text/index.js'
import { Random, modelApply } from './text-model.js'

type Fuzzer = ((type: object, generate: (doc: string) => [TextOp, string], iterations?: number) => void) & { randomReal: () => number }

describe('the ottypes fuzzer', () => {
  it('finds no fault in the text type over 5,000 rounds', () => {
    // The fuzzer writes its state to ./fuzzercrash.data and reads a leftover one: run it in a
    // fresh directory. Its snapshots are strings (it clones them as plain data); the type applies
    // a string by way of a snapshot, and returns a string.
    const previous = process.cwd()
    const dir = mkdtempSync(join(tmpdir(), 'ot-fuzzer-'))
    process.env.SEED = '18'
    process.chdir(dir)
    try {
      const fuzzer = createRequire(import.meta.url)('ot-fuzzer') as Fuzzer
      const random = new Random(fuzzer.randomReal)
      const generate = (doc: string): [TextOp, string] => {
        const chars = [...doc]
        const op: TextOp = []
        let at = 0
        for (let parts = random.between(1, 3); parts > 0 && at <= chars.length; parts--) {
          const skip = random.int(chars.length - at + 1)
          if (skip > 0) op.push(skip)
          at += skip
          // Shrink long documents, grow short ones.
          if (at < chars.length && random.next() < (chars.length > 60 ? 0.7 : 0.3)) {
            const n = random.between(1, Math.min(8, chars.length - at))
            op.push({ d: chars.slice(at, at + n).join('') })
            at += n
          }
          if (random.next() < 0.6) op.push(random.chars(random.between(1, 5)).join(''))
        }
        return [op, modelApply(chars, op).join('')]
      }
      const stringType = { ...textType, create: (initial?: string) => initial ?? '' }
      expect(() => fuzzer(stringType, generate, 5000)).not.toThrow()
    } finally {
      process.chdir(previous)
      delete process.env.SEED
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
