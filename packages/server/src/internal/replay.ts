import { channelEventText, type ChannelPosition } from '@org/realtime-core'
import type { HistoryEntry, HistoryReader, HistorySlice, HistoryStore, MaybePromise } from '../history.js'
import { chain } from './maybe-promise.js'

/** Who a replay is for: what a broadcast's `except` is checked against, and the reader the history filters for. */
export interface ReplayRecipient {
  readonly id: string
  readonly rooms: ReadonlySet<string>
  /** The public connection: what the history reads for. */
  readonly conn: unknown
}

/** What a client missed on a channel, ready to send. */
export interface Replay {
  /** Event frames after the offset asked for, oldest first, leaving out what `except` left out. */
  readonly frames: string[]
  /** Whether they are every message after that offset. */
  readonly complete: boolean
  /** Whether messages after that offset are still kept but more than `maxBytes` (`complete` is false). */
  readonly tooLarge: boolean
  /** Bytes of the messages read, as the history counts them. */
  readonly bytes: number
  /**
   * The last offset the replay accounts for: a live message at or before it is already in
   * `frames` (or was left out on purpose); one after it is not.
   */
  readonly through: number
}

/**
 * The frames of `room`'s history after `since` that `recipient` would have received live, when
 * the messages after `since` take at most `maxBytes`.
 */
export function replay(history: HistoryStore, room: string, since: number, recipient: ReplayRecipient, maxBytes = Infinity): MaybePromise<Replay> {
  return chain(history.after(room, since, { maxBytes }, recipient.conn as HistoryReader), (slice) => framesOf(room, since, slice, recipient, maxBytes))
}

/** The replay of `slice`, read after `since`. */
function framesOf(room: string, since: number, slice: HistorySlice, recipient: ReplayRecipient, maxBytes: number): Replay {
  const { entries, complete } = slice
  const through = Math.max(since, entries.at(-1)?.offset ?? since)
  let bytes = 0
  for (const entry of entries) bytes += entryBytes(entry)
  // A read stops at `maxBytes` but returns at least one message: either way, not all of them fit.
  const tooLarge = complete && (slice.truncated || bytes > maxBytes)
  if (!complete || tooLarge) return { frames: [], complete: false, tooLarge, bytes: 0, through }
  const frames: string[] = []
  for (const entry of entries) {
    if (reached(entry, room, recipient)) frames.push(channelEventText(room, entry.offset, entry.event, entry.json))
  }
  return { frames, complete: true, tooLarge: false, bytes, through }
}

/** What a message weighs against the replay and history page limits: its name and data as JSON. */
export function entryBytes(entry: HistoryEntry): number {
  return entry.event.length + (entry.json?.length ?? 0)
}

/**
 * Why a client cannot resume `room` from `since`, given where the room stood when the connection
 * joined it: `'lost'` when the room's history started over since (a new epoch), `'future'` when
 * `since` is ahead of the room.
 */
export function checkPosition(current: ChannelPosition, joined: ChannelPosition, since: number): 'lost' | 'future' | undefined {
  if (current.epoch !== joined.epoch) return 'lost'
  if (since > current.offset) return 'future'
  return undefined
}

/**
 * Whether a live delivery of `entry` would have reached `recipient` through `room`: not left out by
 * `except`, and not already reached through an earlier room of the same broadcast.
 */
export function reached(entry: HistoryEntry, room: string, recipient: ReplayRecipient): boolean {
  if (entry.except.some((name) => name === recipient.id || recipient.rooms.has(name))) return false
  for (const earlier of entry.rooms) {
    if (earlier === room) return true
    if (recipient.rooms.has(earlier)) return false
  }
  return true
}
