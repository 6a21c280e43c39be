import { textType, type TextOp } from '../shared/ot-text.js'

/**
 * Undo and redo of one client's own edits. Each entry is the op that undoes (or redoes) an edit,
 * valid on the current text; a remote op transforms every entry (and is transformed past each in
 * turn, top of the stack first), so an undo reverts only this client's edit, wherever the others'
 * edits moved it.
 */
export class UndoStack {
  readonly #undo: TextOp[] = []
  readonly #redo: TextOp[] = []
  readonly #limit: number

  constructor(limit: number) {
    this.#limit = limit
  }

  get canUndo(): boolean {
    return this.#undo.length > 0
  }

  get canRedo(): boolean {
    return this.#redo.length > 0
  }

  /** A new edit of this client: its inverse goes on the undo stack and the redo stack empties. */
  edited(op: TextOp): void {
    this.#push(this.#undo, textType.invert(op))
    this.#redo.length = 0
  }

  /** The op that undoes the latest edit; its inverse goes on the redo stack. */
  undo(): TextOp | undefined {
    const op = this.#undo.pop()
    if (op !== undefined) this.#push(this.#redo, textType.invert(op))
    return op
  }

  /** The op that redoes the latest undo; its inverse goes back on the undo stack. */
  redo(): TextOp | undefined {
    const op = this.#redo.pop()
    if (op !== undefined) this.#push(this.#undo, textType.invert(op))
    return op
  }

  /** Another client's op was applied to the text: every entry is moved past it. */
  transform(op: TextOp): void {
    transformStack(this.#undo, op)
    transformStack(this.#redo, op)
  }

  #push(stack: TextOp[], op: TextOp): void {
    stack.push(op)
    if (stack.length > this.#limit) stack.shift()
  }
}

function transformStack(stack: TextOp[], op: TextOp): void {
  let other = op
  for (let i = stack.length - 1; i >= 0; i--) {
    const entry = stack[i] as TextOp
    stack[i] = textType.transform(entry, other, 'left')
    other = textType.transform(other, entry, 'right')
  }
}
