/** The part of a connection the heartbeat looks at. */
export interface Beating {
  expiresAt: number | undefined
  expire(): void
  lastSeen: number
  lastPingAt: number
  pingSentAt: number
  sendEncoded(frame: string): void
  terminate(): void
}

const PING = '{"t":"ping"}'

/**
 * One timer for all connections: each tick closes connections whose credentials expired, sends a ping to every connection whose last ping is
 * `intervalMs` old, and drops those that sent nothing for `timeoutMs` after one. Any frame from
 * the client counts as the answer. Pings go out even to busy clients, because the client's own
 * watch needs to hear from the server at least every `intervalMs + timeoutMs`.
 */
export class Heartbeat {
  readonly #timer: ReturnType<typeof setInterval>

  constructor(
    connections: () => Iterable<Beating>,
    readonly intervalMs: number,
    readonly timeoutMs: number,
  ) {
    const tickMs = Math.max(10, Math.floor(Math.min(intervalMs, timeoutMs) / 4))
    this.#timer = setInterval(() => this.#tick(connections(), Date.now()), tickMs)
    this.#timer.unref?.()
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  #tick(connections: Iterable<Beating>, now: number): void {
    for (const conn of connections) {
      if (conn.expiresAt !== undefined && now >= conn.expiresAt) {
        conn.expire()
        continue
      }
      if (conn.pingSentAt !== 0) {
        if (conn.lastSeen >= conn.pingSentAt) conn.pingSentAt = 0
        else if (now - conn.pingSentAt >= this.timeoutMs) {
          conn.terminate()
          continue
        }
      }
      if (conn.pingSentAt === 0 && now - conn.lastPingAt >= this.intervalMs) {
        conn.pingSentAt = now
        conn.lastPingAt = now
        conn.sendEncoded(PING)
      }
    }
  }
}
