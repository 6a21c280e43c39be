import type { ChannelPosition, SubscribeResult } from '@org/realtime-core'

/**
 * Where the client stands in each channel's message stream: the last offset received, and the
 * history epoch the server named when it confirmed a subscription.
 */
export class Positions {
  readonly #offsets = new Map<string, number>()
  readonly #epochs = new Map<string, string>()
  /** Channels with a subscription on its way and no message received since. */
  readonly #awaiting = new Set<string>()

  /** A message with offset `offset` arrived on `channel`. */
  received_(channel: string, offset: number): void {
    this.#offsets.set(channel, offset)
    this.#awaiting.delete(channel)
  }

  /** The last offset received on `channel`, if any. */
  offset_(channel: string): number | undefined {
    return this.#offsets.get(channel)
  }

  /** Where to resume `channels` from in a `sub` frame, for those whose epoch is known. */
  since_(channels: readonly string[]): Record<string, ChannelPosition> | undefined {
    let since: Record<string, ChannelPosition> | undefined
    for (const channel of channels) {
      this.#awaiting.add(channel)
      const epoch = this.#epochs.get(channel)
      const offset = this.#offsets.get(channel)
      if (epoch !== undefined && offset !== undefined) (since ??= {})[channel] = { epoch, offset }
    }
    return since
  }

  /** The server confirmed a subscription: its stream continues after `result.offset`. */
  confirmed_(result: SubscribeResult): void {
    if (result.epoch === undefined || result.offset === undefined) return
    this.#epochs.set(result.ch, result.epoch)
    if (this.#awaiting.delete(result.ch)) this.#offsets.set(result.ch, result.offset)
  }

  /** Last offsets of every channel, for a resume request. */
  offsets_(): Record<string, number> {
    return Object.fromEntries(this.#offsets)
  }

  /** Forgets every channel but `kept`: the rooms of a session that ended are gone with it. */
  keepOnly_(kept: ReadonlySet<string>): void {
    for (const channel of this.#offsets.keys()) if (!kept.has(channel)) this.forget_(channel)
  }

  /** Forgets `channel`. */
  forget_(channel: string): void {
    this.#offsets.delete(channel)
    this.#epochs.delete(channel)
    this.#awaiting.delete(channel)
  }
}
