import type { BroadcastPacket } from '@org/realtime-server'

/** A broadcast waiting for Redis. */
export interface Buffered {
  readonly packet: BroadcastPacket
  /** Flags it is sent with (see wire.ts). */
  readonly flags: number
  /**
   * The packet text of an append that may have reached Redis already (its answer was lost): the
   * resend is a retry that Redis does not append twice.
   */
  readonly firstTry?: string
  readonly seq: number
}

/**
 * Broadcasts kept while Redis is unreachable, oldest first, within a number of messages and of
 * bytes (event names and data as JSON): past either the oldest are dropped and counted.
 */
export class OutageBuffer {
  readonly #items: Buffered[] = []
  #bytes = 0
  /** Broadcasts dropped since {@link take} was last called. */
  dropped = 0

  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.#items.length
  }

  get bytes(): number {
    return this.#bytes
  }

  push(item: Buffered): void {
    this.#items.push(item)
    this.#bytes += sizeOf(item)
    while (this.#items.length > 0 && (this.#items.length > this.maxMessages || this.#bytes > this.maxBytes)) {
      this.#bytes -= sizeOf(this.#items.shift() as Buffered)
      this.dropped++
    }
  }

  /** The next broadcast to send, left in place until {@link shift}. */
  peek(): Buffered | undefined {
    return this.#items[0]
  }

  shift(): void {
    const item = this.#items.shift()
    if (item !== undefined) this.#bytes -= sizeOf(item)
  }

  clear(): void {
    this.#items.length = 0
    this.#bytes = 0
  }
}

function sizeOf(item: Buffered): number {
  return item.packet.event.length + (item.packet.json?.length ?? 0)
}
