/**
 * Undo of one user's own edits at the level of the type (the Firepad / ot.js scenario): the
 * inverse of each local op is kept, and every later op of someone else transforms the whole
 * stack, so that undoing removes only that user's edits, wherever the others' moved them.
 */
import { describe, expect, it } from 'vitest'
import { type TextOp, type TextSnapshot, textType as t } from '../src/text/index.js'
import { Random } from './text-model.js'

/** An undo stack as a client keeps one (ot.js's UndoManager, without grouping). */
class UndoStack {
  #stack: TextOp[] = []
  /** A local op was applied: remember how to undo it. */
  local(op: TextOp): void {
    this.#stack.push(t.invert(op))
  }
  /** Someone else's op was applied: move every entry past it, newest first. */
  remote(op: TextOp): void {
    let other = op
    const out: TextOp[] = []
    for (let i = this.#stack.length - 1; i >= 0; i--) {
      const entry = this.#stack[i]!
      out.push(t.transform(entry, other, 'left'))
      other = t.transform(other, entry, 'right')
    }
    this.#stack = out.reverse()
  }
  /** The op that undoes the newest local edit (to apply, and to send as a new edit). */
  pop(): TextOp | undefined {
    return this.#stack.pop()
  }
}

describe('undo of one user\'s own edits', () => {
  it('undoes only A\'s edits when A and B edit in turn (the Firepad scenario)', () => {
    let doc: TextSnapshot = t.create('')
    const undoA = new UndoStack()
    const edit = (who: 'A' | 'B', op: TextOp) => {
      doc = t.apply(doc, op)
      if (who === 'A') undoA.local(op)
      else undoA.remote(op)
    }
    edit('A', ['Hello'])
    edit('B', [5, ' world'])
    edit('A', [11, '!'])
    edit('B', [5, ' big'])
    edit('A', [{ d: 'H' }, 'J'])
    expect(doc.toString()).toBe('Jello big world!')

    const undoOnce = () => {
      const op = undoA.pop()!
      doc = t.apply(doc, op)
    }
    undoOnce()
    expect(doc.toString()).toBe('Hello big world!')
    undoOnce()
    expect(doc.toString()).toBe('Hello big world')
    undoOnce()
    expect(doc.toString()).toBe(' big world')
    expect(undoA.pop()).toBeUndefined()
  })

  it('keeps B\'s edits made inside A\'s text, and what B deleted of it stays deleted', () => {
    let doc: TextSnapshot = t.create('')
    const undoA = new UndoStack()
    const a: TextOp = ['abcdef']
    doc = t.apply(doc, a)
    undoA.local(a)
    for (const b of [[3, 'XY'], [{ d: 'a' }]] as TextOp[]) {
      doc = t.apply(doc, b)
      undoA.remote(b)
    }
    expect(doc.toString()).toBe('bcXYdef')
    doc = t.apply(doc, undoA.pop()!)
    expect(doc.toString()).toBe('XY')
  })

  it('leaves exactly B\'s surviving text after A undoes everything, over random interleavings', () => {
    for (let round = 0; round < 200; round++) {
      const random = new Random(1800 + round)
      // Every character is unique: original ones from U+0100, A's astral (U+1F300…), B's CJK.
      let nextA = 0x1f300
      let nextB = 0x4e00
      const original = Array.from({ length: random.between(0, 12) }, (_, i) => String.fromCodePoint(0x100 + i))
      let doc: TextSnapshot = t.create(original.join(''))
      const expected = new Set(original)
      const undoA = new UndoStack()
      for (let step = random.between(1, 12); step > 0; step--) {
        const who = random.next() < 0.5 ? 'A' : 'B'
        const chars = [...doc.toString()]
        const at = random.int(chars.length + 1)
        const op: TextOp = at > 0 ? [at] : []
        const removed = random.next() < 0.4 ? chars.slice(at, at + random.between(1, 3)) : []
        const added = Array.from({ length: random.between(removed.length ? 0 : 1, 3) }, () => String.fromCodePoint(who === 'A' ? nextA++ : nextB++))
        if (added.length) op.push(added.join(''))
        if (removed.length) op.push({ d: removed.join('') })
        doc = t.apply(doc, op)
        if (who === 'A') undoA.local(op)
        else {
          undoA.remote(op)
          for (const c of added) expected.add(c)
          for (const c of removed) expected.delete(c)
        }
      }
      for (let op = undoA.pop(), n = 0; op && n < 100; op = undoA.pop(), n++) {
        doc = t.apply(doc, op)
      }
      expect(new Set(doc.toString()), `round ${round}`).toEqual(expected)
      expect([...doc.toString()].length).toBe(expected.size)
    }
  })
})
