import type { HttpExchange } from '@org/realtime-core/http'

/**
 * A long-poll held open until frames arrive or the hold time ends: what answering it needs, and
 * nothing more of its request (on Node.js no fetch `Request` exists at all).
 */
export interface HeldPoll {
  readonly exchange: HttpExchange
  readonly headers: Record<string, string>
  /** The first line of the answer, before the frames: the session's id and key when the poll is its open. */
  readonly opening: string | undefined
  /** Answers the poll when its hold time ends. */
  readonly owner: HeldPollOwner
  /** When the hold time ends, in whole `performance.now()` milliseconds. */
  readonly deadline: number
}

/** The session of a held long-poll. */
export interface HeldPollOwner {
  /** The hold time of `held` ended: answer it. */
  holdEnded(held: HeldPoll): void
}

/**
 * The long-polls a transport holds, each until `holdMs` after it arrived, on one timer for all of
 * them (set for the earliest deadline) rather than a timer each. Every poll is held for the same
 * time, so the order of arrival is the order of deadlines.
 */
export class HeldPolls {
  readonly #holdMs: number
  /** In order of arrival, so of deadline. */
  readonly #polls = new Set<HeldPoll>()
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(holdMs: number) {
    this.#holdMs = holdMs
  }

  /** Holds a poll from now until `holdMs` from now, when `owner.holdEnded(held)` answers it. */
  hold(owner: HeldPollOwner, exchange: HttpExchange, headers: Record<string, string>, opening?: string): HeldPoll {
    const held: HeldPoll = { exchange, headers, opening, owner, deadline: Math.ceil(performance.now()) + this.#holdMs }
    this.#polls.add(held)
    this.#timer ??= setTimeout(this.#expire, this.#holdMs)
    return held
  }

  /** `held` is answered before its hold time ended (frames came, the client left, the session ended). */
  release(held: HeldPoll): void {
    if (!this.#polls.delete(held) || this.#polls.size > 0) return
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Answers the polls whose hold time ended, then waits for the next deadline. */
  readonly #expire = (): void => {
    // A timer may fire a fraction of a millisecond early by this clock.
    const now = performance.now() + 1
    for (const held of this.#polls) {
      if (held.deadline > now) break
      this.#polls.delete(held)
      held.owner.holdEnded(held)
    }
    // Polls held meanwhile may have set the timer for a later deadline than the earliest left.
    clearTimeout(this.#timer)
    this.#timer = undefined
    const next = this.#polls.values().next()
    if (next.done !== true) this.#timer = setTimeout(this.#expire, Math.max(1, next.value.deadline - performance.now()))
  }
}
