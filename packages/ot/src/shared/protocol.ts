/**
 * What documents send over the realtime connection: the names of the events and the shapes of
 * their data, shared by the server plugin and the client. Documents live on the channels
 * `doc:<id>`; ops travel as acknowledged events to the server plugin and come back as broadcasts
 * on the document's channel.
 */
import { ErrorCode, RealtimeError } from '@org/realtime-core'
import type { TextOp } from './ot-text.js'

/** The channel-name prefix of documents: the document `notes` lives on the channel `doc:notes`. */
export const DOCUMENT_NAMESPACE = 'doc:'

/** Longest document id: a channel name has at most 256 characters. */
export const MAX_DOCUMENT_ID_LENGTH = 256 - DOCUMENT_NAMESPACE.length

/**
 * Event names, client to server (`doc:open`, `doc:submit` with an answer; `doc:send`,
 * `doc:cursor`, `doc:close` without) and server to client (`doc:cursor`, `doc:refused`, and `op`
 * on the document's channel).
 */
export const DocumentEvent = {
  /** Opens a document: answered with an {@link OpenAnswer}. */
  Open: 'doc:open',
  /** Submits an op: answered with a {@link SubmitAnswer}. */
  Submit: 'doc:submit',
  /**
   * Submits an op ({@link SubmitRequest}) without an answer: its broadcast on the document's
   * channel confirms it, and a refusal comes back as `doc:refused`. What the client sends: one
   * frame less per edit than `doc:submit`.
   */
  Send: 'doc:send',
  /** The server refused a `doc:send` ({@link RefusedMessage}). */
  Refused: 'doc:refused',
  /** Moves this connection's cursor; also the server's event carrying another's cursor ({@link CursorMessage}). */
  Cursor: 'doc:cursor',
  /** Closes a document. */
  Close: 'doc:close',
  /** A committed op, broadcast on the document's channel ({@link OpRecord}). */
  Op: 'op',
} as const

/**
 * Error codes of documents besides those of `ErrorCode` (`FORBIDDEN`, `BAD_FRAME`,
 * `PAYLOAD_TOO_LARGE`, `INVALID_OFFSET`, `RATE_LIMITED`, `LIMIT_EXCEEDED`).
 */
export const DocumentErrorCode = {
  /** No such document: the server's `load` returned undefined. */
  NotFound: 'NOT_FOUND',
  /** The op does not fit the document (retains past its end, deletes text it does not hold): the client refetches and rebases. */
  Conflict: 'CONFLICT',
  /** The op's base revision is older than the history the server keeps: the client refetches the snapshot and rebases. */
  Pruned: 'HISTORY_PRUNED',
} as const

/** A committed op, as kept in the op log and broadcast on the document's channel. */
export interface OpRecord {
  /** The revision the op made: the document's revision before it, plus one. */
  readonly v: number
  /** The op, as applied to revision `v - 1`. */
  readonly op: TextOp
  /** The client id of its author. */
  readonly c: string
  /** Its author's sequence number for it. */
  readonly s: number
}

/** A connection's cursor, with its selection at revision `v`. */
export interface CursorMessage {
  /** The document id. */
  readonly d: string
  /** The revision `sel` is relative to. */
  readonly v: number
  /** The connection it belongs to. */
  readonly id: string
  /** `[anchor, head]` in code points, or null once the cursor is gone. */
  readonly sel: readonly [number, number] | null
  /** What the server's `cursorInfo` said of its connection (a name, a colour). */
  readonly info?: unknown
}

/** The data of `doc:open`. */
export interface OpenRequest {
  /** Document id. */
  d: string
  /** The revision the client has: answered with the ops since, when the server still keeps them. */
  v?: number
  /** The client id: the answer says which of its ops were committed. */
  c?: string
}

/** The answer to `doc:open`: the ops since the client's revision, or a snapshot. */
export interface OpenAnswer {
  /** The document's revision. */
  v: number
  /** The ops after the asked revision up to `v`, when the server keeps them all. */
  ops?: OpRecord[]
  /** The text at `v`, when `ops` is absent. */
  text?: string
  /** The highest sequence number of the client's ops that was committed (0 for none), with `text`. */
  s?: number
  /** Other connections' cursors at `v`. */
  cursors?: CursorMessage[]
}

/** The data of `doc:submit`. */
export interface SubmitRequest {
  /** Document id. */
  d: string
  /** The revision the op applies to. */
  v: number
  /** The op. */
  op: TextOp
  /** Client id: with `s`, makes a resent op be applied once. */
  c: string
  /** The client's sequence number of this op, from 1. */
  s: number
}

/** The answer to `doc:submit`. */
export interface SubmitAnswer {
  /** The revision the op made (or made when first submitted, for a resent one). */
  v: number
}

/** A refused `doc:send`: the op's document, client id and sequence number, and why. */
export interface RefusedMessage {
  /** Document id, as sent. */
  readonly d?: string
  /** Client id, as sent. */
  readonly c?: string
  /** Sequence number, as sent. */
  readonly s?: number
  /** The error code (`CONFLICT`, `FORBIDDEN`, `RATE_LIMITED`, …). */
  readonly code: string
  /** What went wrong. */
  readonly message: string
  /** With `RATE_LIMITED`: when to send again. */
  readonly retryAfterMs?: number
}

/** The data of `doc:cursor` from a client. */
export interface CursorRequest {
  d: string
  v: number
  sel: [number, number] | null
}

const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/

/** The channel of document `id`. */
export function channelOf(id: string): string {
  return DOCUMENT_NAMESPACE + id
}

/** Whether `id` may name a document. */
export function isDocumentId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_DOCUMENT_ID_LENGTH
}

/** Whether `id` may be a client id: 1 to 64 letters, digits, `_` or `-`. */
export function isClientId(id: unknown): id is string {
  return typeof id === 'string' && CLIENT_ID.test(id)
}

function isRevision(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

function bad(message: string): RealtimeError {
  return new RealtimeError(ErrorCode.BadFrame, message)
}

function record(data: unknown): Record<string, unknown> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw bad('Expected an object')
  return data as Record<string, unknown>
}

/** `data` as an {@link OpenRequest}. @throws RealtimeError `BAD_FRAME` */
export function parseOpen(data: unknown): OpenRequest {
  const { d, v, c } = record(data)
  if (!isDocumentId(d)) throw bad('"d" must be a document id')
  if (v !== undefined && !isRevision(v)) throw bad('"v" must be a revision')
  if (c !== undefined && !isClientId(c)) throw bad('"c" must be a client id')
  return { d, v, c }
}

/** `data` as a {@link SubmitRequest}; the op itself is checked by the type. @throws RealtimeError `BAD_FRAME` */
export function parseSubmit(data: unknown): SubmitRequest {
  const { d, v, op, c, s } = record(data)
  if (!isDocumentId(d)) throw bad('"d" must be a document id')
  if (!isRevision(v)) throw bad('"v" must be a revision')
  if (!Array.isArray(op)) throw bad('"op" must be an array')
  if (!isClientId(c)) throw bad('"c" must be a client id')
  if (!isRevision(s) || s === 0) throw bad('"s" must be a positive integer')
  return { d, v, op: op as TextOp, c, s }
}

/** `data` as a {@link CursorRequest}. @throws RealtimeError `BAD_FRAME` */
export function parseCursor(data: unknown): CursorRequest {
  const { d, v, sel } = record(data)
  if (!isDocumentId(d)) throw bad('"d" must be a document id')
  if (!isRevision(v)) throw bad('"v" must be a revision')
  if (sel === null) return { d, v, sel: null }
  if (!Array.isArray(sel) || sel.length !== 2 || !isRevision(sel[0]) || !isRevision(sel[1])) throw bad('"sel" must be [anchor, head] or null')
  return { d, v, sel: [sel[0], sel[1]] }
}
