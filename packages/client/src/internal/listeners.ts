/** A listener of an event; its return value answers a server's `emitWithAck`. */
export type Listener = (data: any) => unknown

/** How the first listener of an event ended. */
export type FirstOutcome = { value: unknown } | { error: unknown }

/** Listeners by event name; lighter than an event emitter and easy to tree-shake. */
export class Listeners {
  readonly #byEvent = new Map<string, Listener[]>()

  add(event: string, listener: Listener): void {
    const list = this.#byEvent.get(event)
    if (list === undefined) this.#byEvent.set(event, [listener])
    else list.push(listener)
  }

  remove(event: string, listener?: Listener): void {
    const list = this.#byEvent.get(event)
    if (list === undefined) return
    const kept = listener === undefined ? [] : list.filter((l) => l !== listener)
    if (kept.length === 0) this.#byEvent.delete(event)
    else this.#byEvent.set(event, kept)
  }

  /**
   * Calls every listener of `event` and returns how the first one ended, or undefined when there
   * is none. Exceptions of the others are reported asynchronously, as `EventTarget` does, so one
   * failing listener never stops the rest or the connection logic.
   */
  call(event: string, data: unknown): FirstOutcome | undefined {
    const list = this.#byEvent.get(event)
    if (list === undefined) return undefined
    let first: FirstOutcome | undefined
    for (const listener of list.slice()) {
      try {
        const value = listener(data)
        first ??= { value }
      } catch (error) {
        if (first === undefined) first = { error }
        else reportError(error)
      }
    }
    return first
  }

  /** Calls every listener of `event`, reporting each exception asynchronously. */
  emit(event: string, data: unknown): void {
    const first = this.call(event, data)
    if (first !== undefined && 'error' in first) reportError(first.error)
  }
}

/** Rethrows `error` outside the current call stack, where the platform reports uncaught errors. */
function reportError(error: unknown): void {
  queueMicrotask(() => {
    throw error
  })
}
