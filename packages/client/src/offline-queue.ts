import { ErrorCode, RealtimeError } from '@org/realtime-core'
import type { OfflineQueueOptions } from './options.js'

/** A frame waiting for the connection. */
export interface QueuedFrame {
  readonly encoded_: string
  /** Id of the acknowledgement the frame asks for, if any. */
  readonly ackId_: number | undefined
  /** Whether it gets a session sequence number when sent (events and publishes). */
  readonly numbered_: boolean
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

  /**
   * Queues `frame`; returns the frame dropped to make room for it, under `'drop-oldest'`.
   * @throws RealtimeError `QUEUE_FULL` when full and the policy is `'reject'`.
   */
  push_(frame: QueuedFrame): QueuedFrame | undefined {
    let dropped: QueuedFrame | undefined
    if (this.#frames.length >= this.#maxSize) {
      if (this.#overflow === 'reject' || this.#maxSize === 0) throw this.full_()
      dropped = this.#frames.shift()
    }
    this.#frames.push(frame)
    return dropped
  }

  /** The `QUEUE_FULL` error: thrown when the queue refuses a frame, reported for each frame it drops. */
  full_(): RealtimeError {
    return new RealtimeError(ErrorCode.QueueFull, `Offline queue full (${this.#maxSize})`)
  }

  /** Removes the frame asking for acknowledgement `ackId`, if it is still waiting. */
  removeAck_(ackId: number): void {
    const index = this.#frames.findIndex((frame) => frame.ackId_ === ackId)
    if (index !== -1) this.#frames.splice(index, 1)
  }

  /** Whether the frame asking for acknowledgement `ackId` is still waiting. */
  holdsAck_(ackId: number): boolean {
    return this.#frames.some((frame) => frame.ackId_ === ackId)
  }

  /** Removes and returns every waiting frame, oldest first. */
  takeAll_(): QueuedFrame[] {
    return this.#frames.splice(0)
  }
}
