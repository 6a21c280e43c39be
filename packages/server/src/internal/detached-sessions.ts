/** What the register needs of a session that waits for its client. */
export interface WaitingSession {
  /** Ends the session as if its window had run out. */
  expireSession(): void
}

/** A waiting session's timer and the address it is counted under. */
interface Waiting {
  readonly timer: ReturnType<typeof setTimeout>
  readonly address: string
}

/**
 * The detached sessions of a server: sessions whose transport dropped and that wait `windowMs` for
 * their client to resume them. At most `perAddress` wait for one IP address and `total` in all;
 * when one more would pass either, the one that has waited longest (of that address, or of all)
 * ends at once, as if its window had run out. Sessions without an address count only in `total`.
 */
export class DetachedSessions<TSession extends WaitingSession> {
  /** Every waiting session, the one that has waited longest first. */
  readonly #waiting = new Map<TSession, Waiting>()
  /** The waiting sessions of each address, the one that has waited longest first. */
  readonly #byAddress = new Map<string, Set<TSession>>()

  constructor(
    readonly windowMs: number,
    readonly total: number,
    readonly perAddress: number,
  ) {}

  /** How many sessions wait. */
  get size(): number {
    return this.#waiting.size
  }

  /** Whether `session` waits. */
  has(session: TSession): boolean {
    return this.#waiting.has(session)
  }

  /** The waiting sessions, the one that has waited longest first. */
  keys(): IterableIterator<TSession> {
    return this.#waiting.keys()
  }

  /**
   * `session`, from a peer at `address`, starts to wait, its drop having happened `goneForMs` ago
   * (an HTTP transport finds it only after its `sessionTimeoutMs`): its window ends `windowMs`
   * after the drop. May end the longest waiting ones.
   */
  add(session: TSession, address: string, goneForMs = 0): void {
    const timer = setTimeout(() => session.expireSession(), Math.max(0, this.windowMs - goneForMs))
    timer.unref?.()
    this.#waiting.set(session, { timer, address })
    if (address !== '') {
      let ofAddress = this.#byAddress.get(address)
      if (ofAddress === undefined) this.#byAddress.set(address, (ofAddress = new Set()))
      ofAddress.add(session)
      while (ofAddress.size > this.perAddress) this.#evict(ofAddress.values().next().value as TSession)
    }
    while (this.#waiting.size > this.total) this.#evict(this.#waiting.keys().next().value as TSession)
  }

  /** `session` no longer waits: it was resumed or it ended. Returns whether it was waiting. */
  delete(session: TSession): boolean {
    const waiting = this.#waiting.get(session)
    if (waiting === undefined) return false
    clearTimeout(waiting.timer)
    this.#waiting.delete(session)
    const ofAddress = this.#byAddress.get(waiting.address)
    if (ofAddress !== undefined) {
      ofAddress.delete(session)
      if (ofAddress.size === 0) this.#byAddress.delete(waiting.address)
    }
    return true
  }

  /** Ends `session` while it is still listed as waiting (so its end is announced), then unlists it. */
  #evict(session: TSession): void {
    session.expireSession()
    this.delete(session)
  }
}
