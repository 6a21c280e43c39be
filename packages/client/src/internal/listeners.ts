/** A listener as the emitter stores it: the data, and for channel messages their context. */
type Stored = ((data: unknown, context?: unknown) => unknown) & { listener_?: unknown }

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
    once.listener_ = listener
    return this.on(event, once)
  }

  off(event: string, listener?: unknown): this {
    const list = this.#byEvent.get(event)
    const kept = list?.filter((stored) => listener !== undefined && stored !== listener && stored.listener_ !== listener)
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
   * `emitWithAck`), the first listener's outcome is returned instead of reported, as a promise of
   * what it returned or threw, or undefined when there is none.
   */
  emit_(event: string, data?: unknown, context?: unknown): void
  emit_(event: string, data: unknown, context: undefined, answering: true): Promise<unknown> | undefined
  emit_(event: string, data?: unknown, context?: unknown, answering?: boolean): Promise<unknown> | undefined {
    let first: Promise<unknown> | undefined
    for (const listener of this.#byEvent.get(event) ?? []) {
      // Called now in either case: the promise's executor runs at once.
      if (answering && first === undefined) first = new Promise((resolve) => resolve(listener(data, context)))
      else {
        try {
          const value = listener(data, context)
          if (value instanceof Promise) value.catch((error: unknown) => this.#report(error, event))
        } catch (error) {
          this.#report(error, event)
        }
      }
    }
    return first
  }
}
