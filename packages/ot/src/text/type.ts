/** The text type as one ottypes-compatible object. */
import { applyToRope } from './apply.js'
import { checkOp } from './check.js'
import { compose } from './compose.js'
import { type TextComponent, invert, normalize } from './op.js'
import { TextSnapshot, snapshotFromString, snapshotOfRope, snapshotRope, snapshotToString, toSnapshot } from './snapshot.js'
import { transform, transformPosition, transformSelection } from './transform.js'

/**
 * The result of `apply`: a string for a string, a {@link TextSnapshot} for a snapshot.
 */
export type Applied<S extends TextSnapshot | string> = S extends string ? string : TextSnapshot

/**
 * Applies `op` to `snapshot` and returns the result; `snapshot` is never modified (ottypes lets
 * `apply` mutate, this one does not). Given a {@link TextSnapshot}, it costs about the size of
 * the edit plus the number of chunks (a 100 KB document has ~150); given a string, it returns a
 * string and costs the length of the document (use snapshots for large documents).
 * @throws RealtimeError `INVALID_OFFSET` when `op` retains or deletes past the end of the
 *   document, or deletes text that is not there; `BAD_FRAME` for a malformed component.
 */
function apply<S extends TextSnapshot | string>(snapshot: S, op: readonly TextComponent[]): Applied<S> {
  const result = snapshotOfRope(applyToRope(snapshotRope(toSnapshot(snapshot)), op))
  return (typeof snapshot === 'string' ? result.toString() : result) as Applied<S>
}

/**
 * The plain-text OT type of `@org/realtime-ot`, following the ottypes interface, so it also plugs
 * into ShareDB (`ShareDB.types.register(textType)`) and the ottypes fuzzer.
 *
 * Ops are {@link TextOp}s: retain / insert / delete-with-its-text, positions in Unicode code
 * points. Snapshots are {@link TextSnapshot}s (`create`, `deserialize`); `apply` also takes a
 * string and then returns one.
 */
export const textType = {
  /** The type's name: `'realtime-text'`. */
  name: 'realtime-text',
  /** The type's URI. */
  uri: 'https://github.com/org/realtime/ot/text/v1',
  /**
   * A new snapshot holding `initial`.
   * @param initial defaults to ''.
   */
  create(initial: string | TextSnapshot = ''): TextSnapshot {
    if (typeof initial !== 'string' && !(initial instanceof TextSnapshot)) throw new TypeError('The initial text must be a string')
    return toSnapshot(initial)
  },
  apply,
  /** {@link transform}: `op` rewritten to follow the concurrent `otherOp`. */
  transform,
  /** {@link compose}: one op with the effect of `a` then `b`. */
  compose,
  /** {@link invert}: the op that undoes `op`. */
  invert,
  /** {@link normalize}: the normal form of a well-formed op. */
  normalize,
  /** {@link transformPosition}: where a caret goes after `op`. */
  transformPosition,
  /** {@link transformSelection}: where a selection goes after `op`. */
  transformSelection,
  /** {@link checkOp}: throws unless `op` is well-formed, within the limits and fits `docLength`. */
  checkOp,
  /** The text of a snapshot, for storage (`JSON.stringify` gives the same). */
  serialize: (snapshot: TextSnapshot | string): string => snapshotToString(snapshot),
  /** The snapshot of stored text (a snapshot is returned as it is). */
  deserialize: (data: string | TextSnapshot): TextSnapshot => toSnapshot(data),
  /** ShareDB: the snapshot of a new document's initial data. */
  createDeserialized: (initial?: string): TextSnapshot => snapshotFromString(initial ?? ''),
} as const

/** The type of {@link textType}. */
export type TextType = typeof textType
