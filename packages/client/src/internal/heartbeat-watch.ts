/**
 * Detects a dead server: if nothing arrives for `limitMs` (the server's ping interval plus its
 * ping timeout), calls `onDead`. Cheap per frame: `seen_()` only stores a time.
 */
export class HeartbeatWatch {
  #lastSeen = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  readonly #onDead: () => void

  constructor(onDead: () => void) {
    this.#onDead = onDead
  }

  start_(limitMs: number): void {
    this.seen_()
    this.#check(limitMs, limitMs)
  }

  seen_(): void {
    this.#lastSeen = Date.now()
  }

  stop_(): void {
    clearTimeout(this.#timer)
  }

  /** Checks after `delayMs` whether the server was quiet for `limitMs`, and again when it was not. */
  #check(limitMs: number, delayMs: number): void {
    this.#timer = setTimeout(() => {
      const leftMs = this.#lastSeen + limitMs - Date.now()
      if (leftMs > 0) this.#check(limitMs, leftMs)
      else this.#onDead()
    }, delayMs)
  }
}
