import { textType, type TextOp } from '../shared/ot-text.js'

/** Entries past the limit dropped at once: one copy of the stack per this many edits, not one per edit. */
const TRIM_EVERY = 64

/**
 * Undo and redo of one client's own edits. Each entry is the op that undoes (or redoes) an edit,
 * valid on the current text; a remote op transforms every entry (and is transformed past each in
 * turn, top of the stack first), so an undo reverts only this client's edit, wherever the others'
 * edits moved it.
 */
export class UndoStack {
  readonly #undo = new BoundedStack()
  readonly #redo = new BoundedStack()
  readonly #limit: number

  constructor(limit: number) {
    this.#limit = limit
  }

  get canUndo(): boolean {
    return this.#undo.size > 0
  }

  get canRedo(): boolean {
    return this.#redo.size > 0
  }

  /** A new edit of this client: its inverse goes on the undo stack and the redo stack empties. */
  edited(op: TextOp): void {
    this.#undo.push(textType.invert(op), this.#limit)
    this.#redo.clear()
  }

  /** The op that undoes the latest edit; its inverse goes on the redo stack. */
  undo(): TextOp | undefined {
    const op = this.#undo.pop()
    if (op !== undefined) this.#redo.push(textType.invert(op), this.#limit)
    return op
  }

  /** The op that redoes the latest undo; its inverse goes back on the undo stack. */
  redo(): TextOp | undefined {
    const op = this.#redo.pop()
    if (op !== undefined) this.#undo.push(textType.invert(op), this.#limit)
    return op
  }

  /** Another client's op was applied to the text: every entry is moved past it. */
  transform(op: TextOp): void {
    this.#undo.transform(op)
    this.#redo.transform(op)
  }
}

/**
 * A stack that keeps its latest `limit` entries: the older ones are skipped at once and dropped
 * from the array every {@link TRIM_EVERY} pushes, so a push costs O(1) rather than a shift of the
 * whole array.
 */
class BoundedStack {
  readonly #entries: TextOp[] = []
  /** Entries below this index are dropped (past the limit). */
  #floor = 0

  get size(): number {
    return this.#entries.length - this.#floor
  }

  push(op: TextOp, limit: number): void {
    this.#entries.push(op)
    if (this.size > limit) this.#floor = this.#entries.length - limit
    if (this.#floor >= TRIM_EVERY) {
      this.#entries.splice(0, this.#floor)
      this.#floor = 0
    }
  }

  pop(): TextOp | undefined {
    return this.size > 0 ? this.#entries.pop() : undefined
  }

  clear(): void {
    if (this.#entries.length > 0) this.#entries.length = 0
    this.#floor = 0
  }

  /** Another client's op was applied to the text: each entry is moved past it, top first. */
  transform(op: TextOp): void {
    let other = op
    for (let i = this.#entries.length - 1; i >= this.#floor; i--) {
      const entry = this.#entries[i] as TextOp
      this.#entries[i] = textType.transform(entry, other, 'left')
      other = textType.transform(other, entry, 'right')
    }
  }
}
