import { ErrorCode, ReceivedFrames, type ChannelPosition, type ErrorPayload, type ResumeRequest } from '@org/realtime-core'
import type { HistoryStore, MaybePromise } from '../history.js'
import { allOf, chain } from './maybe-promise.js'
import type { DisconnectInfo, Handshake } from '../types.js'
import { OutboundStream } from './outbound-stream.js'
import { checkPosition } from './replay.js'

/** A resume the server accepted, waiting for `resume` to replay what the client missed. */
export interface PendingResume {
  readonly request: ResumeRequest
  /** What the resuming client presented: the session's handshake once resumed. */
  readonly handshake: Handshake
  /** Where to replay each room from, and the rooms whose missed messages are gone. */
  readonly since: ReadonlyMap<string, number>
  readonly lost: string[]
  /** The missed messages of the rooms in `since`, read before the resume changes anything. */
  replays: string[]
  /** The last offset each replayed room's replay accounts for. */
  readonly through: Map<string, number>
}

/**
 * What a connection keeps only when its client can resume the session after a drop (the server's
 * `recovery` is on and the client asked for it); connections without it keep none of this.
 */
export class ResumableSession {
  /** Made with the first numbered frame: an idle connection never needs one. */
  #stream: OutboundStream | undefined
  readonly #sessionFrames: number
  readonly #sessionBytes: number
  /** The numbered frames received from the client. */
  readonly received = new ReceivedFrames()
  /**
   * Where each room's history stood when the connection joined it: room, epoch and offset in turn.
   * Most connections are in a room or two, and a flat array of those costs ~60 bytes where a Map
   * of positions costs ~200.
   */
  #joined: Array<string | number> | undefined
  /** The secret that resumes this session, when it can be resumed; issued by the session registry. */
  token: string | undefined
  /** The token the last welcome replaced, valid until the client shows it got the new one. */
  previousToken: string | undefined
  /** Whether a welcome with a new token went out and no frame from the client came since. */
  tokenUnproven = false
  /** Set between accepting a resume and sending its welcome. */
  pendingResume: PendingResume | undefined
  /** Resumes asked for so far: only the latest may complete. */
  resumeAttempts = 0
  /** Why the transport dropped, while detached. */
  dropInfo: DisconnectInfo | undefined

  /** `sessionFrames` and `sessionBytes` bound the unconfirmed frames kept (`recovery` options). */
  constructor(sessionFrames: number, sessionBytes = Infinity) {
    this.#sessionFrames = sessionFrames
    this.#sessionBytes = sessionBytes
  }

  /** Gives this session the stream of a session that moved from another node. */
  adoptStream(stream: OutboundStream): void {
    this.#stream = stream
  }

  /** Frames to this session that a resume sends again. */
  get stream(): OutboundStream {
    return (this.#stream ??= new OutboundStream(this.#sessionFrames, this.#sessionBytes))
  }

  /** Whether frames were dropped unconfirmed, so a resume cannot replay them. */
  get overflowed(): boolean {
    return this.#stream?.overflowed ?? false
  }

  /** The connection joined `room`, whose history stood at `position`; it was not in the room. */
  joined(room: string, position: ChannelPosition): void {
    if (this.#joined === undefined) this.#joined = [room, position.epoch, position.offset]
    else this.#joined.push(room, position.epoch, position.offset)
  }

  /** The connection left `room`. */
  left(room: string): void {
    const index = this.#indexOf(room)
    if (index !== -1) (this.#joined as unknown[]).splice(index, 3)
  }

  /** Where `room`'s history stood when the connection joined it. */
  joinedAt(room: string): ChannelPosition | undefined {
    const index = this.#indexOf(room)
    if (index === -1) return undefined
    const joined = this.#joined as Array<string | number>
    return { epoch: joined[index + 1] as string, offset: joined[index + 2] as number }
  }

  #indexOf(room: string): number {
    const joined = this.#joined ?? []
    for (let index = 0; index < joined.length; index += 3) if (joined[index] === room) return index
    return -1
  }

  /**
   * Checks a client's request to resume this session, in `rooms`, given the channel history now.
   * Returns why it cannot be resumed, or where to replay each room from.
   */
  prepare(
    request: ResumeRequest,
    handshake: Handshake,
    rooms: ReadonlySet<string>,
    historyOf: (room: string) => HistoryStore | undefined,
  ): MaybePromise<ErrorPayload | PendingResume> {
    if (this.stream.after(request.s) === undefined) {
      const message = `Cannot resume after frame ${request.s}: the session sent ${this.stream.seq}, and keeps only unconfirmed ones`
      return { code: ErrorCode.InvalidSequence, message }
    }
    const checked: Array<MaybePromise<readonly [room: string, offset: number, problem: 'lost' | 'future' | undefined]>> = []
    for (const room of rooms) {
      const joined = this.joinedAt(room)
      const history = historyOf(room)
      if (history === undefined || joined === undefined) {
        checked.push([room, 0, 'lost'])
        continue
      }
      const offset = request.ch !== undefined && Object.hasOwn(request.ch, room) ? (request.ch[room] as number) : joined.offset
      checked.push(chain(history.position(room), (position) => [room, offset, checkPosition(position, joined, offset)] as const))
    }
    return chain(allOf(checked), (results) => {
      const since = new Map<string, number>()
      const lost: string[] = []
      for (const [room, offset, problem] of results) {
        if (problem === 'future') return { code: ErrorCode.InvalidOffset, message: `Offset ${offset} of "${room}" is ahead of the channel` }
        if (problem === 'lost') lost.push(room)
        else since.set(room, offset)
      }
      return { request, handshake, since, lost, replays: [], through: new Map() }
    })
  }
}
