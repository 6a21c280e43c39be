import { ErrorCode, RealtimeError, type ErrorPayload, type HistoryPage } from '@org/realtime-core'
import { Listeners, type Listener } from './internal/listeners.js'

/** Where a channel stands. */
export type ChannelState = 'unsubscribed' | 'subscribing' | 'subscribed'

/** Payload of a channel's `subscribed` event, and what `subscribe()` resolves with. */
export interface SubscribedEvent {
  /**
   * Whether every message the channel carried while this client was away reached it. False on a
   * first subscription and when a resubscription could not replay everything (gone from history,
   * or the server restarted): load the channel's state from its source again.
   */
  recovered: boolean
}

/** Options of {@link Channel.history}. */
export interface HistoryOptions {
  /**
   * Only messages after this offset.
   * @default the oldest message the server keeps
   */
  since?: number
  /**
   * Most messages to return, 1 to 1000.
   * @default 100
   */
  limit?: number
}

/**
 * What {@link Channel.history} resolves with: the channel's `epoch` and last `offset`, whether the
 * page is `complete`, and its `messages`, oldest first.
 */
export type ChannelHistory = HistoryPage

/** @internal What a channel needs from its client. */
export interface ChannelHost {
  requestSubscribe(channel: Channel): void
  /** `held`: whether the server had confirmed the subscription. */
  requestUnsubscribe(channel: Channel, held: boolean): void
  publish(channel: string, event: string, data: unknown, ackTimeoutMs: number | undefined | false): Promise<unknown> | undefined
  history(channel: string, options: HistoryOptions): Promise<ChannelHistory>
  offset(channel: string): number | undefined
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
  /** Whether the server holds the subscription: confirmed, and neither left nor lost with a session. */
  #held = false
  #waiting: Array<{ resolve(event: SubscribedEvent): void; reject(error: RealtimeError): void }> = []

  /** @internal Obtained from `RealtimeClient.channel`. */
  constructor(name: string, host: ChannelHost) {
    this.name = name
    this.#host = host
  }

  /** Whether the server has confirmed the subscription. */
  get state(): ChannelState {
    return this.#state
  }

  /** Offset of the last message received on this channel, once one arrived or the server confirmed the subscription. */
  get offset(): number | undefined {
    return this.#host.offset(this.name)
  }

  /**
   * Calls `listener` with the data of every `event` broadcast to this channel; `'subscribed'`
   * instead each time the server confirms the subscription, first time or after a reconnect.
   */
  on(event: 'subscribed', listener: (event: SubscribedEvent) => void): this
  on(event: string, listener: Listener): this
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
   * After a reconnect the subscription is restored by itself, with the messages missed meanwhile
   * replayed when the server still has them (see the `subscribed` event).
   * @throws RealtimeError `FORBIDDEN` (or the code `authorize` threw) when the server refuses;
   * `CLOSED` when the client is disconnected on purpose first.
   */
  subscribe(): Promise<SubscribedEvent> {
    if (this.#state === 'subscribed') return Promise.resolve({ recovered: true })
    const confirmed = new Promise<SubscribedEvent>((resolve, reject) => this.#waiting.push({ resolve, reject }))
    if (this.#state === 'unsubscribed') {
      this.#state = 'subscribing'
      this.#host.requestSubscribe(this)
    }
    return confirmed
  }

  /** Leaves the channel; its listeners stay, for a later `subscribe()`. */
  unsubscribe(): void {
    if (this.#state === 'unsubscribed') return
    const held = this.#held
    this.#settle(new RealtimeError(ErrorCode.Closed, `Unsubscribed from "${this.name}"`))
    this.#host.requestUnsubscribe(this, held)
  }

  /**
   * The messages the server keeps for this channel (`recovery.historySize`, default the last
   * 1000 of the last 2 minutes), as this client would have received them. Asks the server's
   * `authorize` for `'subscribe'`; the channel need not be subscribed. A page holds at most
   * `limit` messages and the server's `recovery.historyPageBytes` (256 KiB by default): read on
   * from the last message's offset. `epoch` is empty when the server has no history of the channel.
   * @throws RealtimeError `FORBIDDEN` when refused or when the server keeps no history,
   * `RATE_LIMITED` when the connection's byte budget has no room for the page, `TIMEOUT`,
   * `DISCONNECTED`.
   */
  history(options: HistoryOptions = {}): Promise<ChannelHistory> {
    return this.#host.history(this.name, options)
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
    this.#listeners.emit(event, data)
  }

  /** @internal The server answered a subscription request, or resumed the session that held it. */
  subscribed(error: ErrorPayload | undefined, event: SubscribedEvent = { recovered: false }): void {
    if (this.#state !== 'subscribing' && this.#state !== 'subscribed') return
    if (error !== undefined) return this.#settle(new RealtimeError(error.code, error.message))
    this.#state = 'subscribed'
    this.#held = true
    for (const waiter of this.#waiting.splice(0)) waiter.resolve(event)
    this.#listeners.emit('subscribed', event)
  }

  /** @internal The connection dropped: the subscription holds again once the server confirms it anew. */
  lost(): void {
    if (this.#state === 'subscribed') this.#state = 'subscribing'
  }

  /** @internal The session ended with the connection: the server no longer holds the subscription. */
  released(): void {
    this.#held = false
  }

  /** @internal Whether the server held the subscription when the connection dropped. */
  get held(): boolean {
    return this.#held
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
    this.#held = false
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error)
  }
}
