/**
 * Joins identical reads: a call shares the read of its key that has not been sent yet, so each
 * answer reflects Redis at or after the moment of the call, and a burst of identical calls costs
 * at most two reads (the one in flight and the next).
 */
export class Coalescer<T> {
  readonly #inFlight = new Map<string, Promise<T>>()
  readonly #next = new Map<string, Promise<T>>()

  run(key: string, read: () => Promise<T>): Promise<T> {
    const queued = this.#next.get(key)
    if (queued !== undefined) return queued
    const current = this.#inFlight.get(key)
    if (current === undefined) return this.#start(key, read)
    const next = current.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      this.#next.delete(key)
      return this.#start(key, read)
    })
    this.#next.set(key, next)
    return next
  }

  #start(key: string, read: () => Promise<T>): Promise<T> {
    const started = read()
    this.#inFlight.set(key, started)
    const forget = (): void => {
      if (this.#inFlight.get(key) === started) this.#inFlight.delete(key)
    }
    started.then(forget, forget)
    return started
  }
}
