/** A minimal typed emitter: a listener that throws is reported to the platform and does not stop the others. */
export class Emitter<Events extends { [K in keyof Events]: (arg: any) => void }> {
  readonly #listeners = new Map<keyof Events, Set<(arg: unknown) => void>>()

  on<K extends keyof Events>(event: K, listener: Events[K]): void {
    let set = this.#listeners.get(event)
    if (set === undefined) this.#listeners.set(event, (set = new Set()))
    set.add(listener as (arg: unknown) => void)
  }

  off<K extends keyof Events>(event: K, listener?: Events[K]): void {
    if (listener === undefined) this.#listeners.delete(event)
    else this.#listeners.get(event)?.delete(listener as (arg: unknown) => void)
  }

  has(event: keyof Events): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0
  }

  emit<K extends keyof Events>(event: K, arg: Parameters<Events[K]>[0]): void {
    const set = this.#listeners.get(event)
    if (set === undefined || set.size === 0) return
    // One listener (the common case, once per edit): no copy of the set.
    if (set.size === 1) return call(set.values().next().value as (arg: unknown) => void, arg)
    for (const listener of [...set]) call(listener, arg)
  }
}

function call(listener: (arg: unknown) => void, arg: unknown): void {
  try {
    listener(arg)
  } catch (error) {
    ;(globalThis as { reportError?(error: unknown): void }).reportError?.(error)
  }
}
