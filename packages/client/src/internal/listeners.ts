/** A listener as the emitter stores it: the data, and for channel messages their context. */
type Stored = ((data: unknown, context?: unknown) => unknown) & { listener?: unknown }

/** How the first listener of an event ended. */
export type FirstOutcome = { value: unknown } | { error: unknown }

/**
 * Listeners by event name; lighter than an event emitter and easy to tree-shake. Its `on`, `once`
 * and `off` are what the public types ({@link Lifecycle}, the client's and a channel's) show of it.
 */
export class Listeners {
  readonly #byEvent = new Map<string, Stored[]>()

  on(event: string, listener: unknown): this {
    const list = this.#byEvent.get(event)
    if (list === undefined) this.#byEvent.set(event, [listener as Stored])
    else list.push(listener as Stored)
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
  has(event: string): boolean {
    return this.#byEvent.has(event)
  }

  /**
   * Calls every listener of `event` and returns how the first one ended, or undefined when there
   * is none. Exceptions of the others are reported asynchronously, as `EventTarget` does, so one
   * failing listener never stops the rest or the connection logic.
   */
  call(event: string, data?: unknown, context?: unknown): FirstOutcome | undefined {
    let first: FirstOutcome | undefined
    for (const listener of this.#byEvent.get(event)?.slice() ?? []) {
      try {
        const value = listener(data, context)
        first ??= { value }
      } catch (error) {
        if (first === undefined) first = { error }
        else reportError(error)
      }
    }
    return first
  }

  /** Calls every listener of `event`, reporting each exception asynchronously. */
  emit(event: string, data?: unknown, context?: unknown): void {
    const first = this.call(event, data, context)
    if (first !== undefined && 'error' in first) reportError(first.error)
  }
}

/** Rethrows `error` outside the current call stack, where the platform reports uncaught errors. */
function reportError(error: unknown): void {
  queueMicrotask(() => {
    throw error
  })
}
