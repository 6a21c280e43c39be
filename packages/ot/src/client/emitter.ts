/** A listener of any event, as the emitter stores it. */
type AnyListener = (arg: unknown) => void

const NONE: readonly AnyListener[] = Object.freeze([])

/**
 * A minimal typed emitter: a listener that throws is reported to the platform and does not stop
 * the others. Each event's listeners are an array replaced (never changed) by `on` and `off`, so
 * `emit` walks it without a copy, and adding then removing a listener (once per edit, say) costs
 * one small array rather than a hash table growing and shrinking (an event keeps its entry, empty).
 */
export class Emitter<Events extends { [K in keyof Events]: (arg: any) => void }> {
  readonly #listeners = new Map<keyof Events, readonly AnyListener[]>()

  on<K extends keyof Events>(event: K, listener: Events[K]): void {
    const list = this.#listeners.get(event) ?? NONE
    if (!list.includes(listener as AnyListener)) this.#listeners.set(event, list.length === 0 ? [listener as AnyListener] : [...list, listener as AnyListener])
  }

  off<K extends keyof Events>(event: K, listener?: Events[K]): void {
    const list = this.#listeners.get(event)
    if (list === undefined || list.length === 0) return
    if (listener === undefined || (list.length === 1 && list[0] === listener)) this.#listeners.set(event, NONE)
    else if (list.includes(listener as AnyListener)) this.#listeners.set(event, list.filter((other) => other !== listener))
  }

  has(event: keyof Events): boolean {
    return (this.#listeners.get(event)?.length ?? 0) > 0
  }

  emit<K extends keyof Events>(event: K, arg: Parameters<Events[K]>[0]): void {
    const list = this.#listeners.get(event)
    if (list === undefined) return
    // The array is never changed: a listener that adds or removes listeners does not disturb the walk.
    for (let i = 0; i < list.length; i++) call(list[i] as AnyListener, arg)
  }
}

function call(listener: AnyListener, arg: unknown): void {
  try {
    listener(arg)
  } catch (error) {
    ;(globalThis as { reportError?(error: unknown): void }).reportError?.(error)
  }
}
