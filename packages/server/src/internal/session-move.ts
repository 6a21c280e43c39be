import type { ServerSocket } from '@org/realtime-core'
import type { SessionSnapshot } from '../adapter.js'
import { createConnection, type Connection } from '../connection.js'
import type { Handshake } from '../types.js'
import { ConnectionCore, type ConnectionHost } from './connection-core.js'
import { OutboundStream } from './outbound-stream.js'

/**
 * The state of `core`'s session for another node, or undefined when it cannot move: it cannot be
 * resumed (no session, frames dropped unconfirmed), it ended, or a resume of it is under way here.
 */
export function snapshotSession(core: ConnectionCore<{ readonly id: string; readonly data: unknown }>): SessionSnapshot | undefined {
  const session = core.session
  if (session === undefined || !core.resumable || core.state === 'closed' || session.pendingResume !== undefined) return undefined
  return {
    v: 1,
    id: core.conn.id,
    data: core.conn.data,
    ...(core.expiresAt === undefined ? {} : { expiresAt: core.expiresAt }),
    tokens: [session.token, session.previousToken].filter((token): token is string => token !== undefined),
    rooms: [...core.rooms].map((room) => {
      const position = session.joinedAt(room)
      return [room, position?.epoch ?? null, position?.offset ?? null] as const
    }),
    seq: session.stream.seq,
    frames: session.stream.unconfirmed(),
    inSeq: session.received.last,
  }
}

/** Whether `value` is a snapshot this version can restore (a cluster adapter carries it from another process). */
export function isSessionSnapshot(value: unknown): value is SessionSnapshot {
  if (typeof value !== 'object' || value === null) return false
  const snapshot = value as Partial<SessionSnapshot>
  return (
    snapshot.v === 1 &&
    typeof snapshot.id === 'string' &&
    Array.isArray(snapshot.tokens) &&
    snapshot.tokens.every((token) => typeof token === 'string') &&
    Array.isArray(snapshot.rooms) &&
    snapshot.rooms.every((room) => Array.isArray(room) && typeof room[0] === 'string') &&
    Number.isSafeInteger(snapshot.seq) &&
    Array.isArray(snapshot.frames) &&
    snapshot.frames.every((frame) => typeof frame === 'string') &&
    Number.isSafeInteger(snapshot.inSeq)
  )
}

/**
 * A session that moved here from another node, detached, in its rooms (silently: the caller
 * announces it), with the frames it had not confirmed. `socket` is the one its client resumes on.
 */
export function restoreSession<TData>(
  snapshot: SessionSnapshot,
  socket: ServerSocket,
  handshake: Handshake,
  host: ConnectionHost<Connection<TData>>,
): ConnectionCore<Connection<TData>> {
  const core = new ConnectionCore<Connection<TData>>(socket, handshake, host, true)
  createConnection(snapshot.id, snapshot.data as TData, core)
  const session = core.session
  if (session === undefined) throw new Error('Sessions are off (recovery: false): nothing to restore into')
  core.state = 'detached'
  core.socket = undefined
  core.early = undefined
  core.expiresAt = snapshot.expiresAt
  session.adoptStream(OutboundStream.restore(snapshot.seq, snapshot.frames, host.sessionFrames ?? 0, host.sessionBytes))
  session.received.last = snapshot.inSeq
  session.token = snapshot.tokens[0]
  session.previousToken = snapshot.tokens[1]
  session.tokenUnproven = session.previousToken !== undefined
  for (const [room, epoch, offset] of snapshot.rooms) {
    core.rooms.add(room)
    if (epoch !== null && offset !== null) session.joined(room, { epoch, offset })
    host.join(core, room, 'moved')
  }
  return core
}
