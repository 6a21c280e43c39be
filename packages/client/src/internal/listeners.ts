/** A listener as the emitter stores it: the data, and for channel messages their context. */
type Stored = ((data: unknown, context?: unknown) => unknown) & { listener?: unknown }

/** How the first listener of an event ended. */
export type FirstOutcome = { value: unknown } | { error: unknown }

/** Where the exceptions of listeners go: what a listener of `event` threw, or its promise rejected with. */
export type ReportListenerError = (error: unknown, event: string) => void

/**
 * Listeners by event name; lighter than an event emitter and easy to tree-shake. Its `on`, `once`
 * and `off` are what the public types ({@link Lifecycle}, the client's and a channel's) show of it.
 */
export class Listeners {
  readonly #byEvent = new Map<string, Stored[]>()
  readonly #report: ReportListenerError

  /** `report`: where a listener's exception goes; it never reaches the code that emitted the event. */
  constructor(report: ReportListenerError) {
    this.#report = report
  }

  on(event: string, listener: unknown): this {
    // A new array: an emit under way calls the listeners it started with.
    this.#byEvent.set(event, [...(this.#byEvent.get(event) ?? []), listener as Stored])
    return this
  }

  once(event: string, listener: unknown): this {
    const once: Stored = (data, context) => {
      this.off(event, once)
      return (listener as Stored)(data, context)
    }
    once.listener = listener
    return this.on(event, once)
  }

  off(event: string, listener?: unknown): this {
    const list = this.#byEvent.get(event)
    const kept = list?.filter((stored) => listener !== undefined && stored !== listener && stored.listener !== listener)
    if (kept?.length) this.#byEvent.set(event, kept)
    else this.#byEvent.delete(event)
    return this
  }

  /** Whether `event` has a listener. */
  has_(event: string): boolean {
    return this.#byEvent.has(event)
  }

  /**
   * Calls every listener of `event`, reporting each exception and rejection, so one failing
   * listener never stops the rest or the connection logic. With `answering` (the server's
   * `emitWithAck`), the first listener's outcome is returned instead of reported, or undefined
   * when there is none.
   */
  emit_(event: string, data?: unknown, context?: unknown, answering?: boolean): FirstOutcome | undefined {
    let first: FirstOutcome | undefined
    for (const listener of this.#byEvent.get(event) ?? []) {
      let outcome: FirstOutcome
      try {
        outcome = { value: listener(data, context) }
      } catch (error) {
        outcome = { error }
      }
      if (answering && first === undefined) first = outcome
      else this.#settle(outcome, event)
    }
    return first
  }

  /** Reports how a listener of `event` ended, if it threw or its promise rejects. */
  #settle(outcome: FirstOutcome, event: string): void {
    if ('error' in outcome) this.#report(outcome.error, event)
    else if (outcome.value instanceof Promise) outcome.value.catch((error: unknown) => this.#report(error, event))
  }
}
