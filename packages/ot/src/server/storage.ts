import type { OpRecord } from '../shared/protocol.js'

/** A value, or a promise of it. */
export type MaybePromise<T> = T | Promise<T>

/** A document's text at a revision, with what dedupes resent ops made before it. */
export interface SnapshotRecord {
  /** The revision of `text`. */
  readonly v: number
  /** The document's text at `v`. */
  readonly text: string
  /** For each client id that committed ops up to `v`: its last sequence number and the revision that op made. */
  readonly clients: Readonly<Record<string, readonly [seq: number, v: number]>>
}

/** What storage holds of a document: its latest snapshot and the ops kept since (and some before). */
export interface StoredDocument {
  /** The latest snapshot. */
  readonly snapshot: SnapshotRecord
  /** The ops kept, oldest first and without gaps, ending at the document's revision; those after `snapshot.v` are all there. */
  readonly ops: readonly OpRecord[]
}

/**
 * Where documents keep their op log and snapshots. Every method may answer at once or with a
 * promise. `append` is a compare-and-set: several servers may share one storage, and only one op
 * per revision wins. {@link memoryStorage} is the default; a database implements the same four
 * methods (a table of ops keyed by `(id, v)` with a unique constraint, and one of snapshots).
 */
export interface DocumentStorage {
  /** The document, or undefined when storage has none. */
  read(id: string): MaybePromise<StoredDocument | undefined>
  /** Stores a new document; false when one exists already (another server made it first). */
  create(id: string, snapshot: SnapshotRecord): MaybePromise<boolean>
  /** Appends `op` if the document's revision is `op.v - 1`; false when another op took that revision. */
  append(id: string, op: OpRecord): MaybePromise<boolean>
  /** Keeps `snapshot` as the latest, and may forget the ops up to `pruneThrough` (a revision at or before `snapshot.v`). */
  saveSnapshot(id: string, snapshot: SnapshotRecord, pruneThrough: number): MaybePromise<void>
}

/** In-memory storage for one process: the default of `documents()`. */
export function memoryStorage(): DocumentStorage {
  const docs = new Map<string, { snapshot: SnapshotRecord; ops: OpRecord[] }>()
  const revisionOf = (doc: { snapshot: SnapshotRecord; ops: OpRecord[] }): number => doc.ops.at(-1)?.v ?? doc.snapshot.v
  return {
    read(id) {
      const doc = docs.get(id)
      return doc === undefined ? undefined : { snapshot: doc.snapshot, ops: [...doc.ops] }
    },
    create(id, snapshot) {
      if (docs.has(id)) return false
      docs.set(id, { snapshot, ops: [] })
      return true
    },
    append(id, op) {
      const doc = docs.get(id)
      if (doc === undefined || revisionOf(doc) !== op.v - 1) return false
      doc.ops.push(op)
      return true
    },
    saveSnapshot(id, snapshot, pruneThrough) {
      const doc = docs.get(id)
      if (doc === undefined) return
      if (snapshot.v > doc.snapshot.v) doc.snapshot = snapshot
      const keepFrom = doc.ops.findIndex((op) => op.v > pruneThrough)
      doc.ops = keepFrom === -1 ? [] : doc.ops.slice(keepFrom)
    },
  }
}
