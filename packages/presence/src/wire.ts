/**
 * What presence puts on the wire, shared by the server plugin and the client feature. Entries are
 * tuples, not objects: a diff to a channel of 10,000 members goes out 10,000 times.
 * Not exported from the package entry points.
 */

/** Channel-name prefix of the presence channel of a channel: `presence:room:1` for `room:1`. */
export const PREFIX = 'presence:'

/** The room the nodes of a cluster talk in; no client may subscribe to it. */
export const CLUSTER_ROOM = 'presence:#cluster'

/**
 * Event names: on the presence channel (`diff`, `down`, `resync`), to the server (`track`,
 * `untrack`, `sync`), between nodes (`cluster`).
 */
export const EVENT = {
  // On `presence:<channel>`, which the plugin claims: short, as they go to every watcher.
  diff: 'diff',
  down: 'down',
  resync: 'resync',
  track: 'presence:track',
  untrack: 'presence:untrack',
  sync: 'presence:sync',
  cluster: 'presence:cluster',
} as const

/**
 * One meta: one connection's tracking of a key, `[ref, key, meta, away]` (away: 1, else 0). `ref`
 * names the connection among its node's: clients know the meta as `<node>.<ref>`.
 */
export type WireEntry = [ref: string, key: string, meta: unknown, away: 0 | 1]

/**
 * A node's changes to one channel's presence: metas joined or changed (`j`), refs gone (`l`).
 * `s` numbers every diff of node `n`, all channels together (1, 2, 3…), so that its peers notice
 * one they missed; `p` is the `s` of its previous diff of this channel (0 for the first), so that
 * a client applies the diffs of a channel in order, each once.
 */
export interface WireDiff {
  n: string
  s: number
  p: number
  j?: WireEntry[]
  l?: string[]
}

/** Node `n` is gone: its metas are removed (a node that expired, or said goodbye). */
export interface WireDown {
  n: string
}

/** A node's metas of one channel as of its diff `seq` (the `s` of its last diff of the channel): `[node, seq, entries]`. */
export type WireNodeState = [node: string, seq: number, entries: WireEntry[]]

/** The answer to `presence:sync`: every node's metas of the channel, each with its version. */
export interface WireSync {
  n: WireNodeState[]
}

/** What a client sends with `presence:track`. */
export interface WireTrack {
  ch: string
  m: unknown
}

/** What the server answers to `presence:track`: the ref of the connection's meta. */
export interface WireTracked {
  ref: string
}

/** Messages between the nodes of a cluster, on {@link CLUSTER_ROOM}. */
export type ClusterMessage =
  /** Heartbeat: node `n` lives; its last diff was its `s`-th. */
  | { t: 'hb'; n: string; s: number }
  /** Node `n` asks node `to` (`'*'`: every node with metas of it) for its metas of channel `ch`. */
  | { t: 'req'; n: string; to: string; ch: string }
  /** Node `n`'s metas `e` of channel `ch`, as of its diff `s` of it. */
  | { t: 'state'; n: string; ch: string; s: number; e: WireEntry[] }
  /** Node `n` is closing: its metas go at once. */
  | { t: 'bye'; n: string }

/** Whether `value` is a plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Whether `value` is a wire entry. */
export function isWireEntry(value: unknown): value is WireEntry {
  return (
    Array.isArray(value) &&
    value.length === 4 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'string' &&
    (value[3] === 0 || value[3] === 1)
  )
}

/** Whether `value` is a diff as a node sends it. */
export function isWireDiff(value: unknown): value is WireDiff {
  if (!isRecord(value)) return false
  const { n, s, p, j, l } = value
  return (
    typeof n === 'string' &&
    Number.isSafeInteger(s) &&
    Number.isSafeInteger(p) &&
    (p as number) < (s as number) &&
    (j === undefined || (Array.isArray(j) && j.every(isWireEntry))) &&
    (l === undefined || (Array.isArray(l) && l.every((ref) => typeof ref === 'string')))
  )
}

/** Whether `value` is the answer to `presence:sync`. */
export function isWireSync(value: unknown): value is WireSync {
  return (
    isRecord(value) &&
    Array.isArray(value.n) &&
    value.n.every(
      (node: unknown) =>
        Array.isArray(node) && typeof node[0] === 'string' && Number.isSafeInteger(node[1]) && Array.isArray(node[2]) && node[2].every(isWireEntry),
    )
  )
}
