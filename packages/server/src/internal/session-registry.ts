import type { ConnectionCore } from './connection-core.js'
import { DetachedSessions } from './detached-sessions.js'
import { randomId } from './random-id.js'

/**
 * The resumable sessions of a server: issues, rotates, finds and retires the resume tokens that
 * name them, and keeps the detached ones waiting for their client (at most so many per address
 * and in all, each for the recovery window). A session is named by the token its last welcome
 * carried and, until its client shows it received that one, by the token before it, so that a
 * welcome lost with its connection does not lose the session.
 */
export class SessionRegistry<TConn extends { readonly id: string }> {
  /** Sessions a client may resume, by their secret token: open ones and detached ones. */
  readonly #byToken = new Map<string, ConnectionCore<TConn>>()
  /** Detached sessions, each with the timer that ends it. */
  readonly #detached: DetachedSessions<ConnectionCore<TConn>>

  /** Detached sessions wait `windowMs`, at most `total` of them and `perAddress` per IP address. */
  constructor(windowMs: number, total: number, perAddress: number) {
    this.#detached = new DetachedSessions(windowMs, total, perAddress)
  }

  /** The session `token` resumes, open or detached, if any. */
  find(token: string): ConnectionCore<TConn> | undefined {
    return this.#byToken.get(token)
  }

  /** The detached sessions, the one that has waited longest first. */
  detached(): IterableIterator<ConnectionCore<TConn>> {
    return this.#detached.keys()
  }

  /**
   * A welcome is about to go to `core`'s client: the session no longer waits, and gets a fresh
   * token when it can be resumed, which the welcome carries. The token the client holds stays
   * valid until {@link proven}: the one it `presented` to resume, or else the one this welcome
   * replaces; every other is retired now. So however many welcomes in a row are lost with their
   * connections, the token the client still holds resumes the session.
   */
  issue(core: ConnectionCore<TConn>, presented?: string): string | undefined {
    this.#detached.delete(core)
    const session = core.session
    if (session === undefined) return undefined
    const held = presented ?? session.token
    if (session.previousToken !== held) this.#retire(session.previousToken)
    if (session.token !== held) this.#retire(session.token)
    session.previousToken = held
    session.token = undefined
    if (core.resumable) {
      // 128 random bits: as unguessable as a bearer secret needs, and 22 characters per session.
      session.token = randomId(16)
      this.#byToken.set(session.token, core)
    }
    session.tokenUnproven = session.token !== undefined
    return session.token
  }

  /** The client sent a frame after its welcome, so it holds the token that welcome carried: retire the one before. */
  proven(core: ConnectionCore<TConn>): void {
    const session = core.session
    if (session === undefined) return
    session.tokenUnproven = false
    this.#retire(session.previousToken)
    session.previousToken = undefined
  }

  /**
   * The transport of `core`, from a peer at `address`, dropped `goneForMs` ago: its session waits
   * for its client. May end the sessions that have waited longest.
   */
  detach(core: ConnectionCore<TConn>, address: string, goneForMs: number): void {
    this.#detached.add(core, address, goneForMs)
  }

  /**
   * A session that moved here from another node, detached, under the tokens it came with: it
   * waits for the client resuming it (counted under `address`) as any detached session does.
   */
  adopt(core: ConnectionCore<TConn>, address: string): void {
    const session = core.session
    if (session === undefined) return
    for (const token of [session.token, session.previousToken]) if (token !== undefined) this.#byToken.set(token, core)
    this.#detached.add(core, address, 0)
  }

  /** The session ended: its tokens resume nothing any more, and it no longer waits. */
  forget(core: ConnectionCore<TConn>): void {
    const session = core.session
    if (session !== undefined) {
      this.#retire(session.token)
      this.#retire(session.previousToken)
      session.token = session.previousToken = undefined
    }
    this.#detached.delete(core)
  }

  #retire(token: string | undefined): void {
    if (token !== undefined) this.#byToken.delete(token)
  }
}
