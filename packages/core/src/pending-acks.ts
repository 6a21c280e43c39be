import { ErrorCode, RealtimeError } from './errors.js'
import type { AckFrame } from './protocol.js'

interface Pending {
  resolve(value: unknown): void
  reject(error: RealtimeError): void
  timer: ReturnType<typeof setTimeout>
  onSettle: (() => void) | undefined
}

/**
 * Acknowledgements one side is waiting for, each with a timeout. Used by the server's
 * connections and by the client.
 */
export class PendingAcks {
  #nextId = 1
  readonly #pending = new Map<number, Pending>()

  /**
   * Reserves an id and returns the promise its `ack` will settle. The promise rejects with
   * `TIMEOUT` after `timeoutMs`; `onSettle` runs however it ends.
   */
  create(timeoutMs: number, event: string, onSettle?: () => void): { id: number; promise: Promise<unknown> } {
    const id = this.#nextId++
    const promise = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#finish(id)?.reject(new RealtimeError(ErrorCode.Timeout, `No acknowledgement for "${event}" within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#pending.set(id, { resolve, reject, timer, onSettle })
    })
    return { id, promise }
  }

  /** Settles the acknowledgement `frame` answers; returns false when none was awaited under its id. */
  settle(frame: AckFrame): boolean {
    const pending = this.#finish(frame.id)
    if (pending === undefined) return false
    if (frame.err === undefined) pending.resolve(frame.d)
    else pending.reject(new RealtimeError(frame.err.code, frame.err.message, { retryAfterMs: frame.err.retryAfterMs }))
    return true
  }

  /** Rejects the acknowledgement `id` with `error`, if it is still awaited. */
  reject(id: number, error: RealtimeError): void {
    this.#finish(id)?.reject(error)
  }

  /** Rejects every awaited acknowledgement with `error`, except those `keep` returns true for. */
  rejectAll(error: RealtimeError, keep?: (id: number) => boolean): void {
    for (const id of [...this.#pending.keys()]) if (keep?.(id) !== true) this.reject(id, error)
  }

  #finish(id: number): Pending | undefined {
    const pending = this.#pending.get(id)
    if (pending === undefined) return undefined
    this.#pending.delete(id)
    clearTimeout(pending.timer)
    pending.onSettle?.()
    return pending
  }
}
