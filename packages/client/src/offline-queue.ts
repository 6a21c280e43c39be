import { ErrorCode, RealtimeError } from '@org/realtime-core'
import type { OfflineQueueOptions } from './options.js'

/** A frame waiting for the connection. */
export interface QueuedFrame {
  readonly encoded: string
  /** Called when the frame is discarded instead of sent. */
  readonly drop: (error: RealtimeError) => void
}

/** Frames emitted while disconnected, bounded by `maxSize`, sent in order on (re)connect. */
export class OfflineQueue {
  readonly #frames: QueuedFrame[] = []
  readonly #maxSize: number
  readonly #overflow: 'reject' | 'drop-oldest'

  constructor(options: OfflineQueueOptions = {}) {
    this.#maxSize = options.maxSize ?? 100
    this.#overflow = options.overflow ?? 'reject'
  }

  /** Number of frames waiting. */
  get size(): number {
    return this.#frames.length
  }

  /**
   * Queues `frame`.
   * @throws RealtimeError `QUEUE_FULL` when full and the policy is `'reject'`.
   */
  push(frame: QueuedFrame): void {
    if (this.#frames.length >= this.#maxSize) {
      const error = new RealtimeError(ErrorCode.QueueFull, `The offline queue is full (${this.#maxSize} frames)`)
      if (this.#overflow === 'reject' || this.#maxSize === 0) throw error
      this.#frames.shift()?.drop(error)
    }
    this.#frames.push(frame)
  }

  /** Removes `frame` if it is still waiting. */
  remove(frame: QueuedFrame): void {
    const index = this.#frames.indexOf(frame)
    if (index !== -1) this.#frames.splice(index, 1)
  }

  /** Removes and returns every waiting frame, oldest first. */
  takeAll(): QueuedFrame[] {
    return this.#frames.splice(0)
  }

  /** Discards every waiting frame with `error`. */
  clear(error: RealtimeError): void {
    for (const frame of this.takeAll()) frame.drop(error)
  }
}
