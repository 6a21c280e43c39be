import { ErrorCode, RealtimeError, type ErrorPayload } from '@org/realtime-core'
import { Listeners, type Listener } from './internal/listeners.js'

/** Where a channel stands. */
export type ChannelState = 'unsubscribed' | 'subscribing' | 'subscribed'

/** @internal What a channel needs from its client. */
export interface ChannelHost {
  requestSubscribe(channel: Channel): void
  requestUnsubscribe(channel: Channel): void
  publish(channel: string, event: string, data: unknown, ackTimeoutMs: number | undefined | false): Promise<unknown> | undefined
}

/**
 * A named channel on the server. Listeners added with `on` receive the events broadcast to it;
 * `subscribe()` asks the server to join it (subject to its `authorize` hook), and the
 * subscription is restored after every reconnect.
 */
export class Channel {
  /** The channel's name. */
  readonly name: string
  readonly #host: ChannelHost
  readonly #listeners = new Listeners()
  #state: ChannelState = 'unsubscribed'
  #waiting: Array<{ resolve(): void; reject(error: RealtimeError): void }> = []

  /** @internal Obtained from `RealtimeClient.channel`. */
  constructor(name: string, host: ChannelHost) {
    this.name = name
    this.#host = host
  }

  /** Whether the server has confirmed the subscription. */
  get state(): ChannelState {
    return this.#state
  }

  /** Calls `listener` with the data of every `event` broadcast to this channel. */
  on(event: string, listener: Listener): this {
    this.#listeners.add(event, listener)
    return this
  }

  /** Removes `listener` of `event`, or all of them when `listener` is omitted. */
  off(event: string, listener?: Listener): this {
    this.#listeners.remove(event, listener)
    return this
  }

  /**
   * Subscribes, now or as soon as the client is connected. Resolves once the server confirms.
   * @throws RealtimeError `FORBIDDEN` (or the code `authorize` threw) when the server refuses;
   * `CLOSED` when the client is disconnected on purpose first.
   */
  subscribe(): Promise<void> {
    if (this.#state === 'subscribed') return Promise.resolve()
    const confirmed = new Promise<void>((resolve, reject) => this.#waiting.push({ resolve, reject }))
    if (this.#state === 'unsubscribed') {
      this.#state = 'subscribing'
      this.#host.requestSubscribe(this)
    }
    return confirmed
  }

  /** Leaves the channel; its listeners stay, for a later `subscribe()`. */
  unsubscribe(): void {
    if (this.#state === 'unsubscribed') return
    this.#settle(new RealtimeError(ErrorCode.Closed, `Unsubscribed from "${this.name}"`))
    this.#host.requestUnsubscribe(this)
  }

  /**
   * Sends `event` to the channel's other subscribers (the server checks `authorize` for
   * `'publish'`). Queued while disconnected.
   * @throws RealtimeError `PAYLOAD_TOO_LARGE`, `INVALID_PAYLOAD` or `QUEUE_FULL`.
   */
  publish(event: string, data?: unknown): void {
    void this.#host.publish(this.name, event, data, false)
  }

  /** Like `publish`, resolving once the server has accepted and broadcast the event. */
  async publishWithAck(event: string, data?: unknown, options: { timeoutMs?: number } = {}): Promise<void> {
    await this.#host.publish(this.name, event, data, options.timeoutMs)
  }

  /** @internal An event broadcast to this channel arrived. */
  dispatch(event: string, data: unknown): void {
    this.#listeners.call(event, data)
  }

  /** @internal The server answered a subscription request. */
  subscribed(error: ErrorPayload | undefined): void {
    if (this.#state !== 'subscribing' && this.#state !== 'subscribed') return
    if (error === undefined) {
      this.#state = 'subscribed'
      for (const waiter of this.#waiting.splice(0)) waiter.resolve()
    } else this.#settle(new RealtimeError(error.code, error.message))
  }

  /** @internal The connection dropped: the subscription holds again once the server confirms it anew. */
  lost(): void {
    if (this.#state === 'subscribed') this.#state = 'subscribing'
  }

  /** @internal The subscription can no longer complete. */
  failed(error: RealtimeError): void {
    this.#settle(error)
  }

  /** @internal Whether the channel should be (re)subscribed on connect. */
  get wanted(): boolean {
    return this.#state !== 'unsubscribed'
  }

  #settle(error: RealtimeError): void {
    this.#state = 'unsubscribed'
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error)
  }
}
