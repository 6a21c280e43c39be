/** Listeners by event, for the client feature; small, so that the browser bundle stays small. Not exported from the package. */
export class Emitter<Events extends { [E in keyof Events]: (...args: any[]) => void }> {
  readonly #listeners = new Map<keyof Events, Array<Events[keyof Events]>>()

  constructor(readonly report: (error: unknown, event: string) => void) {}

  on<E extends keyof Events>(event: E, listener: Events[E]): void {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener])
  }

  off<E extends keyof Events>(event: E, listener?: Events[E]): void {
    const list = this.#listeners.get(event)
    if (list === undefined) return
    this.#listeners.set(
      event,
      listener === undefined ? [] : list.filter((each) => each !== listener),
    )
  }

  /** Calls every listener of `event`; one that throws is reported and the others still run. */
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        listener(...args)
      } catch (error) {
        this.report(error, String(event))
      }
    }
  }
}
