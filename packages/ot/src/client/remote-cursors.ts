import { textType, type TextOp } from '../shared/ot-text.js'
import type { CursorMessage, OpRecord } from '../shared/protocol.js'

/** Another connection's cursor, in the local text. */
export interface RemoteCursor {
  /** The connection it belongs to. */
  readonly id: string
  /** Where the selection starts, in code points. */
  readonly anchor: number
  /** Where it ends (the caret), in code points. */
  readonly head: number
  /** What the server's `cursorInfo` said of it (a name, a colour). */
  readonly info: unknown
}

/** Server ops kept to bring a late cursor up to date. */
const RECENT_OPS = 64
/** Cursors waiting for the revision they are at. */
const MAX_WAITING = 256

/**
 * The other connections' cursors, kept in the local text: moved by every op applied to it,
 * local or remote, and brought from the server revision they were sent at through the ops since
 * and the local edits not yet confirmed.
 */
export class RemoteCursors {
  readonly all = new Map<string, RemoteCursor>()
  /** The last `RECENT_OPS` server ops, at `v % RECENT_OPS`. */
  readonly #recent: Array<OpRecord | undefined> = new Array<OpRecord | undefined>(RECENT_OPS)
  /** The revision of the latest op in `#recent`. */
  #latest = 0
  readonly #waiting = new Map<string, CursorMessage>()

  /** An op was applied to the local text. */
  transform(op: TextOp): void {
    for (const [id, cursor] of this.all) {
      const [anchor, head] = textType.transformSelection([cursor.anchor, cursor.head], op) as [number, number]
      this.all.set(id, { ...cursor, anchor, head })
    }
  }

  /** Whether cursors wait for a revision this client has not reached: {@link reached} has work to do. */
  get waiting(): boolean {
    return this.#waiting.size > 0
  }

  /** A server op was received (revision `op.v`). */
  received(op: OpRecord): void {
    this.#recent[op.v % RECENT_OPS] = op
    this.#latest = op.v
  }

  /** Forgets the ops kept and the cursors waiting: the document was reloaded from a snapshot. */
  reset(): void {
    this.#recent.fill(undefined)
    this.#latest = 0
    this.#waiting.clear()
    this.all.clear()
  }

  /**
   * A cursor message at server revision `message.v`, when the client is at `revision` with the
   * unconfirmed `pending` ops on top. Returns whether the cursors changed.
   */
  update(message: CursorMessage, revision: number | undefined, pending: readonly TextOp[]): boolean {
    if (message.sel === null) {
      this.#waiting.delete(message.id)
      return this.all.delete(message.id)
    }
    if (revision === undefined || message.v > revision) {
      this.#waiting.delete(message.id)
      if (this.#waiting.size < MAX_WAITING) this.#waiting.set(message.id, message)
      return false
    }
    let sel = [...message.sel] as [number, number]
    if (message.v < revision) {
      // Through the ops since its revision, when they are all kept.
      if (this.#latest !== revision || revision - message.v > RECENT_OPS) return false
      for (let v = message.v + 1; v <= revision; v++) {
        const op = this.#recent[v % RECENT_OPS]
        if (op?.v !== v) return false
        sel = textType.transformSelection(sel, op.op) as [number, number]
      }
    }
    for (const op of pending) sel = textType.transformSelection(sel, op) as [number, number]
    this.all.set(message.id, { id: message.id, anchor: sel[0], head: sel[1], info: message.info })
    return true
  }

  /** Cursors that waited for `revision`, now that the client reached it. Returns whether any changed. */
  reached(revision: number, pending: readonly TextOp[]): boolean {
    let changed = false
    for (const [id, message] of this.#waiting) {
      if (message.v > revision) continue
      this.#waiting.delete(id)
      changed = this.update(message, revision, pending) || changed
    }
    return changed
  }
}
