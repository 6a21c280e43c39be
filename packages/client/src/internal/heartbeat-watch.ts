/**
 * Detects a dead server: if nothing arrives for `limitMs` (the server's ping interval plus its
 * ping timeout), calls `onDead`. Cheap per frame: `seen()` only stores a time.
 */
export class HeartbeatWatch {
  #lastSeen = 0
  #limitMs = 0
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly onDead: () => void) {}

  start(limitMs: number): void {
    this.#limitMs = limitMs
    this.#lastSeen = Date.now()
    this.#schedule(limitMs)
  }

  seen(): void {
    this.#lastSeen = Date.now()
  }

  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      const quietMs = Date.now() - this.#lastSeen
      if (quietMs >= this.#limitMs) this.onDead()
      else this.#schedule(this.#limitMs - quietMs)
    }, delayMs)
  }
}
