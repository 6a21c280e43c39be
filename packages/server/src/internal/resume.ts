import { ErrorCode, RealtimeError, type ErrorPayload, type ResumeRequest, type ServerSocket } from '@org/realtime-core'
import type { HistoryStore, MaybePromise } from '../history.js'
import type { Handshake } from '../types.js'
import { chargeReplay, hold, release, releaseAll } from './channel-ops.js'
import type { ConnectionCore } from './connection-core.js'
import { isThenable } from './is-thenable.js'
import { allOf, chain } from './maybe-promise.js'
import { replay } from './replay.js'
import type { PendingResume } from './resumable-session.js'

type Core = ConnectionCore<{ readonly id: string }>

/**
 * Checks a client's request to resume the session of `core`, given the channel history now, and
 * reads what each room missed before anything changes (the rooms' live messages wait
 * meanwhile). Returns why it cannot be resumed, or stores what to send for {@link resume}.
 */
export function prepareResume(core: Core, request: ResumeRequest, handshake: Handshake): MaybePromise<ErrorPayload | undefined> {
  const session = core.session
  if (session === undefined || core.state === 'closed') return { code: ErrorCode.UnknownSession, message: 'No session to resume under this token' }
  // A resume prepared earlier whose welcome never went out.
  releaseAll(core)
  session.pendingResume = undefined
  const attempt = ++session.resumeAttempts
  const tookOver = (): RealtimeError => new RealtimeError(ErrorCode.UnknownSession, 'A later resume of this session took over')
  return chain(session.prepare(request, handshake, core.rooms, (room) => core.host.history(room)), (prepared) => {
    if ('code' in prepared) return prepared
    // A later attempt of the same client (this one's connection was given up) goes on instead.
    if (attempt !== session.resumeAttempts) throw tookOver()
    for (const room of prepared.since.keys()) hold(core, room)
    const readAll = (): MaybePromise<undefined> =>
      chain(readReplays(core, prepared), () => {
        if (attempt !== session.resumeAttempts) throw tookOver()
        session.pendingResume = prepared
        return undefined
      })
    try {
      const read = readAll()
      if (!isThenable(read)) return read
      return Promise.resolve(read).catch((error: unknown) => {
        if (attempt === session.resumeAttempts) releaseAll(core)
        throw error
      })
    } catch (error) {
      releaseAll(core)
      throw error
    }
  })
}

/**
 * Attaches the session of `core` to the socket of the client that resumed it and sends, in one
 * go: `welcome`, the frames to the session the client missed, each room's missed messages, then
 * the rooms' live messages that came while those were read. Returns false when the session
 * ended in the meantime.
 */
export function resume(core: Core, socket: ServerSocket, welcome: (lost: readonly string[], presented: string) => string): boolean {
  const session = core.session
  const pending = session?.pendingResume
  if (session === undefined || pending === undefined) return false
  session.pendingResume = undefined
  const frames = core.state === 'closed' ? undefined : session.stream.after(pending.request.s)
  if (frames === undefined) {
    releaseAll(core)
    return false
  }
  const previous = core.state === 'open' ? core.socket : undefined
  core.socket = socket
  core.handshake = pending.handshake
  core.state = 'open'
  core.early = undefined
  session.dropInfo = undefined
  core.lastSeen = core.lastPingAt = Date.now()
  core.pingSentAt = 0
  // A half-open socket the server had not noticed yet: its close must not end the session.
  previous?.terminate()
  // The welcome carries the session's next token (the session registry issues it).
  socket.send(welcome(pending.lost, pending.request.token))
  for (const frame of frames) socket.send(frame)
  for (const frame of pending.replays) socket.send(frame)
  for (const [room, through] of pending.through) release(core, room, through)
  releaseAll(core)
  return true
}

/**
 * Reads what each room of `pending.since` missed, within `replayBytes` in all and the
 * connection's byte budget, into `pending`; a room whose missed messages are gone or do not fit
 * goes in `lost`, and its held live messages are all sent after the welcome.
 */
function readReplays(core: Core, pending: PendingResume): MaybePromise<void> {
  const rooms = [...pending.since]
  const reads = rooms.map(([room, offset]) => replay(core.host.history(room) as HistoryStore, room, offset, core, core.host.replayBytes))
  return chain(allOf(reads), (replays) => {
    let budget = core.host.replayBytes
    replays.forEach((missed, index) => {
      const room = (rooms[index] as [string, number])[0]
      if (missed.complete && missed.bytes <= budget && chargeReplay(core, missed) === undefined) {
        budget -= missed.bytes
        pending.replays.push(...missed.frames)
        pending.through.set(room, missed.through)
      } else pending.lost.push(room)
    })
  })
}
