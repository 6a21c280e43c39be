import { randomBytes } from 'node:crypto'
import type { KeySpace } from './keys.js'
import type { ScriptedRedis } from './scripts.js'

/** How much history a room keeps in Redis. */
export interface StreamLimits {
  /** Most messages kept; 0 keeps none (offsets are still assigned). */
  readonly size: number
  /** Milliseconds a message is kept, and an idle room's epoch; 0 keeps them until trimmed by size. */
  readonly ageMs: number
}

/**
 * Appends a packet's text to `room`'s stream under the next offset and publishes it on the room's
 * channel, in one script; answers the offset and the history's epoch. A retry (`firstTry` is the text of its first
 * append, whose answer was lost) is not appended again when one of the room's last 64 entries is
 * that text.
 */
export async function appendToRoom(
  redis: ScriptedRedis,
  keys: KeySpace,
  room: string,
  text: string,
  limits: StreamLimits,
  sharded: boolean,
  firstTry: string | undefined,
): Promise<{ epoch: string; offset: number }> {
  const [epoch, offset] = await redis.rtAppend(
    keys.meta(room),
    keys.stream(room),
    newEpoch(),
    Date.now(),
    Math.max(0, Math.floor(limits.size)),
    limits.ageMs,
    keys.channel(room),
    text,
    sharded ? '1' : '0',
    firstTry ?? '',
  )
  return { epoch: String(epoch), offset: Number(offset) }
}

/** A new epoch, used only when the room has no history yet. */
export function newEpoch(): string {
  return randomBytes(6).toString('base64url')
}

/** A number of milliseconds as Redis takes it: a positive integer, or 0 for "forever". */
export function finiteOrZero(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.ceil(value) : 0
}

/** Whether the server does sharded pub/sub (Redis 7 and later). */
export async function supportsSharded(redis: { info(section: string): Promise<string> }): Promise<boolean> {
  const info = await redis.info('server')
  return Number(/redis_version:(\d+)/.exec(info)?.[1] ?? 0) >= 7
}
