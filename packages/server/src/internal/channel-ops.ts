import { ErrorCode, type ChannelPosition, type ErrorPayload, type HistoryFrame, type SubscribeResult } from '@org/realtime-core'
import type { HistoryReader, HistoryStore, MaybePromise } from '../history.js'
import type { ConnectionCore } from './connection-core.js'
import { historyPageText } from './history-page.js'
import { HoldBack } from './hold-back.js'
import { isThenable } from './is-thenable.js'
import { chain } from './maybe-promise.js'
import { entryBytes, reached, replay, type Replay } from './replay.js'
import { toErrorPayload } from './to-error-payload.js'

/** Messages a `hist` frame gets when it names no limit. */
const DEFAULT_HISTORY_LIMIT = 100

/** What a subscription answers, and the last offset of the channel that answer accounts for. */
interface Recovery {
  readonly result: SubscribeResult
  readonly through: number
}

type Core = ConnectionCore<{ readonly id: string }>

/** Why a resubscription replays nothing: what it missed is still kept, but more than `replayBytes`. */
function tooLargeToReplay(replayBytes: number): ErrorPayload {
  return { code: ErrorCode.LimitExceeded, message: `The missed messages are more than a replay may send (${replayBytes} bytes): refetch` }
}

/** Answers a `sub` frame: each channel authorized, guarded by the plugins, joined and recovered. */
export async function subscribe(core: Core, id: number, channels: readonly string[], since: Record<string, ChannelPosition> | undefined): Promise<void> {
  const host = core.host
  // What the channels of this one frame may replay, together.
  const budget = { bytes: host.replayBytes }
  const results = await Promise.all(
    channels.map(async (channel): Promise<SubscribeResult> => {
      const refusal = (await host.authorize(core.conn, channel, 'subscribe')) ?? (await pluginsAllow(core, 'beforeSubscribe', channel))
      if (refusal !== undefined) return { ch: channel, err: refusal }
      if (!core.rooms.has(channel) && core.rooms.size >= host.subscriptionsPerConnection) {
        const limit = host.subscriptionsPerConnection
        return { ch: channel, err: { code: ErrorCode.LimitExceeded, message: `A connection may be in at most ${limit} rooms` } }
      }
      const result = await joinFrom(core, channel, since !== undefined && Object.hasOwn(since, channel) ? since[channel] : undefined, budget)
      if (core.rooms.has(channel)) host.subscribed('afterSubscribe', core.conn, channel)
      return result
    }),
  )
  core.send({ t: 'ack', id, d: results })
}

/** Why a plugin refuses `hook` for `channel`, or undefined when every plugin allows it (or none guards it). */
async function pluginsAllow(core: Core, hook: 'beforeSubscribe' | 'beforeUnsubscribe', channel: string): Promise<ErrorPayload | undefined> {
  if (!core.host.guards(hook)) return undefined
  try {
    await core.host.guard(hook, core.conn, channel)
    return undefined
  } catch (error) {
    return toErrorPayload(error)
  }
}

/**
 * Leaves the channels of an `unsub` frame it is in, and answers it. At once when no plugin guards
 * unsubscriptions; otherwise each asks the plugins first, and the answer carries the first
 * refusal (the refused channels stay subscribed).
 */
export function unsubscribe(core: Core, id: number | undefined, channels: readonly string[]): void {
  const leaving = channels.filter((channel) => core.rooms.has(channel))
  const answer = (err: ErrorPayload | undefined): void => {
    if (id !== undefined) core.send(err === undefined ? { t: 'ack', id } : { t: 'ack', id, err })
    else if (err !== undefined) core.sendError(err)
  }
  const unsubscribed = (channel: string): void => {
    core.leave(channel, 'unsubscribe')
    core.host.subscribed('afterUnsubscribe', core.conn, channel)
  }
  if (!core.host.guards('beforeUnsubscribe')) {
    for (const channel of leaving) unsubscribed(channel)
    return answer(undefined)
  }
  const guarded = async (): Promise<void> => {
    let refused: ErrorPayload | undefined
    for (const channel of leaving) {
      const refusal = await pluginsAllow(core, 'beforeUnsubscribe', channel)
      if (refusal === undefined) unsubscribed(channel)
      else refused ??= refusal
    }
    answer(refused)
  }
  core.answerLater(guarded(), id)
}

/**
 * Joins `channel` and, when the client says where it left it, sends what it missed before any
 * live message: with a history that answers at once both happen in this one turn; with one that
 * answers later the channel's live messages are held back meanwhile, and those the replay
 * already holds are dropped, so nothing falls between them and nothing comes twice. What it
 * missed is replayed only when it fits in `budget` and the connection's byte budget; otherwise
 * the client is told `recovered: false`, with the reason, and refetches. If reading the history
 * fails, the channel is left again and the failure answered.
 */
function joinFrom(core: Core, channel: string, since: ChannelPosition | undefined, budget: { bytes: number }): MaybePromise<SubscribeResult> {
  const history = core.host.history(channel)
  const alreadyIn = core.rooms.has(channel)
  const replaying = history !== undefined && since !== undefined && !alreadyIn
  if (replaying) hold(core, channel)
  core.join(channel, 'subscribe')
  if (history === undefined) return { ch: channel }
  let recovered: MaybePromise<Recovery>
  try {
    recovered = chain(history.position(channel), (position) => recover(core, history, channel, position, alreadyIn ? undefined : since, alreadyIn, budget))
  } catch (error) {
    recovered = Promise.reject(error)
  }
  const settle = ({ result, through }: Recovery): SubscribeResult => {
    release(core, channel, through)
    return result
  }
  if (!isThenable(recovered)) return settle(recovered)
  return Promise.resolve(recovered).then(settle, (error: unknown) => {
    release(core, channel, Infinity)
    if (replaying) core.leave(channel, 'leave')
    throw error
  })
}

/**
 * What to answer a subscription to `channel`, whose history stands at `position`, and replays
 * what the client missed since `since`: the answer, and the last offset it accounts for (live
 * messages after it are still to be sent).
 */
function recover(
  core: Core,
  history: HistoryStore,
  channel: string,
  position: ChannelPosition,
  since: ChannelPosition | undefined,
  alreadyIn: boolean,
  budget: { bytes: number },
): MaybePromise<Recovery> {
  const notRecovered = (reason?: ErrorPayload): Recovery => ({
    result: { ch: channel, ...position, recovered: false, ...(reason === undefined ? {} : { reason }) },
    through: position.offset,
  })
  if (since === undefined) return { result: { ch: channel, ...position, recovered: alreadyIn }, through: position.offset }
  if (since.epoch === position.epoch && since.offset > position.offset) {
    return notRecovered({ code: ErrorCode.InvalidOffset, message: `Offset ${since.offset} is ahead of the channel (${position.offset})` })
  }
  // A connection being closed gets nothing more: a replay stops with it.
  if (since.epoch !== position.epoch || core.closeIntent !== undefined || core.state !== 'open') return notRecovered()
  return chain(replay(history, channel, since.offset, core, budget.bytes), (missed): Recovery => {
    const refusal = missed.tooLarge ? tooLargeToReplay(core.host.replayBytes) : missed.complete ? chargeReplay(core, missed) : undefined
    if (!missed.complete || refusal !== undefined) return notRecovered(refusal)
    budget.bytes -= missed.bytes
    for (const frame of missed.frames) core.sendEncoded(frame)
    return { result: { ch: channel, epoch: position.epoch, offset: since.offset, recovered: true }, through: missed.through }
  })
}

/**
 * Answers a `hist` frame with the channel's kept messages, as the connection would have received
 * them: at most `limit` messages and `historyPageBytes` bytes (at least one message), charged
 * against the connection's byte budget. A channel with no history is reported empty, with an
 * empty epoch, and gets none started.
 */
export async function readHistory(core: Core, frame: HistoryFrame): Promise<void> {
  const refusal = await core.host.authorize(core.conn, frame.ch, 'subscribe')
  const history = core.host.history(frame.ch)
  if (refusal !== undefined || history === undefined) {
    const err = refusal ?? { code: ErrorCode.Forbidden, message: 'This server keeps no channel history' }
    return core.send({ t: 'ack', id: frame.id, err })
  }
  const position = (await history.peek(frame.ch)) ?? { epoch: '', offset: 0 }
  const since = Math.min(frame.since ?? 0, position.offset)
  const limits = { limit: frame.limit ?? DEFAULT_HISTORY_LIMIT, maxBytes: core.host.historyPageBytes }
  const { entries, complete } = await history.after(frame.ch, since, limits, core.conn as HistoryReader)
  const messages = entries.filter((entry) => reached(entry, frame.ch, core))
  let bytes = 0
  for (const entry of messages) bytes += entryBytes(entry)
  const overBudget = bytes === 0 ? undefined : core.limiter?.chargeBytes(bytes)
  if (overBudget !== undefined) return core.refuse(overBudget, frame.id, false)
  core.sendEncoded(historyPageText(frame.id, position, complete, messages))
}

/** Charges what a replay sends against the connection's byte budget; returns the refusal, if any. */
export function chargeReplay(core: Core, missed: Replay): ErrorPayload | undefined {
  return missed.bytes === 0 ? undefined : core.limiter?.chargeBytes(missed.bytes)
}

/** Holds back the live messages of `room` until {@link release}. */
export function hold(core: Core, room: string): void {
  ;(core.holdBack ??= new HoldBack()).hold(room)
}

/**
 * Sends the messages of `room` held back after offset `through`, and stops holding it. Messages
 * up to `through` that are delivered later are dropped, until one after it comes.
 */
export function release(core: Core, room: string, through: number): void {
  const holdBack = core.holdBack
  if (holdBack === undefined) return
  for (const frame of holdBack.release(room, through)) core.sendEncoded(frame)
  if (core.holdBack === holdBack && holdBack.idle) core.holdBack = undefined
}

/** Stops holding every room, sending what was held. */
export function releaseAll(core: Core): void {
  for (const room of core.holdBack?.rooms() ?? []) release(core, room, -1)
}
