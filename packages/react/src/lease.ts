/**
 * Reference counting with a grace period: `start` runs when the first holder acquires, `stop`
 * `delayMs` after the last holder released, unless another acquired meanwhile. This is what keeps
 * StrictMode's mount–unmount–mount and A→B→A remounts on one server-side subscription.
 */
export class Lease {
  readonly #start: () => void
  readonly #stop: () => void
  #holders = 0
  #active = false
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(start: () => void, stop: () => void) {
    this.#start = start
    this.#stop = stop
  }

  /** Whether started and not yet stopped. */
  get active(): boolean {
    return this.#active
  }

  /** Holds, starting unless started; returns the release (a second call does nothing). */
  acquire(): (delayMs: number) => void {
    this.#holders++
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (!this.#active) {
      this.#active = true
      this.#start()
    }
    let released = false
    return (delayMs) => {
      if (released) return
      released = true
      if (--this.#holders > 0) return
      this.#timer = setTimeout(() => {
        this.#timer = undefined
        if (this.#holders > 0 || !this.#active) return
        this.#active = false
        this.#stop()
      }, delayMs)
    }
  }
}
