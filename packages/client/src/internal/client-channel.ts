import { ErrorCode, RealtimeError, type ChannelPosition, type ClientFrame, type ErrorPayload, type SubscribeResult } from '@org/realtime-core'
import type { Channel, ChannelHistory, ChannelListener, ChannelState, FeatureContext, HistoryOptions, SubscribedEvent } from '../channel.js'
import type { RealtimeClient } from '../client.js'
import type { AckOptions } from '../events.js'
import { Listeners, type ReportListenerError } from './listeners.js'

/** What a channel needs from its client. */
export interface ChannelHost {
  readonly client_: RealtimeClient
  requestSubscribe_(channel: ClientChannel): void
  /** `held`: whether the server had confirmed the subscription. */
  requestUnsubscribe_(channel: ClientChannel, held: boolean): void
  /** Sends `frame` (checking the name of a publish), or queues it; its ack promise unless `ackTimeoutMs` is false. */
  submit_(frame: ClientFrame, label: string, ackTimeoutMs: number | undefined | false): Promise<unknown> | undefined
  /** Reports the exception of a listener of the channel or its lifecycle. */
  report_: ReportListenerError
}

/**
 * The {@link Channel} of a client, with what the client drives it by: answers to subscription
 * requests, drops, and the messages that arrive for it. It knows where it stands in the channel's
 * message stream: the last offset received, and the history epoch the server named when it
 * confirmed the subscription. Not exported from the package: apps see only the `Channel`
 * interface. It is the emitter of the app's listeners itself, which keeps the browser bundle small.
 */
export class ClientChannel extends Listeners implements Channel {
  readonly name: string
  /** What names the subscription on the wire: the name, and the options if any (`channelKey`). */
  readonly key_: string
  readonly lifecycle: Listeners
  readonly #host: ChannelHost
  /** Message names claimed by features: their messages reach the features only. */
  readonly #claims: Listeners
  readonly #features = new Map<unknown, unknown>()
  #state: ChannelState = 'unsubscribed'
  /** Whether the server holds the subscription: confirmed, and neither left nor lost with a session. */
  held_ = false
  #waiting: Array<{ resolve(event: SubscribedEvent): void; reject(error: RealtimeError): void }> = []
  /** The offset of the last message received. */
  #offset: number | undefined
  /** The history epoch of the last confirmation that named one. */
  #epoch: string | undefined
  /** Whether a subscription request is on its way and no message has arrived since. */
  #awaiting = false

  constructor(name: string, key: string, host: ChannelHost) {
    super(host.report_)
    this.name = name
    this.key_ = key
    this.#host = host
    this.lifecycle = new Listeners(host.report_)
    this.#claims = new Listeners(host.report_)
  }

  get state(): ChannelState {
    return this.#state
  }

  get offset(): number | undefined {
    return this.#offset
  }

  /** Whether the channel should be (re)subscribed on connect. */
  get wanted_(): boolean {
    return this.#state !== 'unsubscribed'
  }

  subscribe(): Promise<SubscribedEvent> {
    if (this.#state === 'subscribed') return Promise.resolve({ recovered: true })
    const confirmed = new Promise<SubscribedEvent>((resolve, reject) => this.#waiting.push({ resolve, reject }))
    if (this.#state === 'unsubscribed') {
      this.#state = 'subscribing'
      this.#host.requestSubscribe_(this)
    }
    return confirmed
  }

  unsubscribe(): void {
    if (this.#state === 'unsubscribed') return
    const held = this.held_
    this.#end(new RealtimeError(ErrorCode.Closed, `Unsubscribed from "${this.name}"`), false, true)
    this.forget_()
    this.#host.requestUnsubscribe_(this, held)
  }

  history(options: HistoryOptions = {}): Promise<ChannelHistory> {
    return this.#host.submit_({ t: 'hist', ch: this.key_, since: options.since, limit: options.limit } as ClientFrame, 'history', undefined) as Promise<ChannelHistory>
  }

  publish(event: string, data?: unknown): void {
    void this.#host.submit_({ t: 'pub', ch: this.key_, e: event, d: data }, event, false)
  }

  async publishWithAck(event: string, data?: unknown, options: AckOptions = {}): Promise<void> {
    await this.#host.submit_({ t: 'pub', ch: this.key_, e: event, d: data }, event, options.timeoutMs)
  }

  feature<T>(key: string | symbol, create: (context: FeatureContext) => T): T {
    if (!this.#features.has(key)) {
      const claim = (event: string, listener: ChannelListener): (() => void) => {
        this.#claims.on(event, listener)
        return () => void this.#claims.off(event, listener)
      }
      this.#features.set(key, create({ channel: this, client: this.#host.client_, claim }))
    }
    return this.#features.get(key) as T
  }

  /** A message broadcast to this channel arrived: to the feature that claimed its name, else to the app's listeners of it and of `'*'`. */
  dispatch_(event: string, data: unknown, offset: number | undefined): void {
    if (offset !== undefined) {
      this.#offset = offset
      this.#awaiting = false
    }
    const context = { offset, event }
    if (this.#claims.has_(event)) this.#claims.emit_(event, data, context)
    else {
      this.emit_(event, data, context)
      this.emit_('*', data, context)
    }
  }

  /**
   * A subscription request goes out: where to resume from, when the epoch and an offset are known.
   * An offset the server confirms before any message arrives replaces the one known.
   */
  since_(): ChannelPosition | undefined {
    this.#awaiting = true
    return this.#epoch === undefined || this.#offset === undefined ? undefined : { epoch: this.#epoch, offset: this.#offset }
  }

  /** The server confirmed the subscription: the stream continues after `result.offset`. */
  confirmed_(result: SubscribeResult): void {
    if (result.epoch === undefined || result.offset === undefined) return
    this.#epoch = result.epoch
    if (this.#awaiting) this.#offset = result.offset
    this.#awaiting = false
  }

  /** Forgets where the channel stood: left, or its session ended while it was not wanted. */
  forget_(): void {
    this.#offset = this.#epoch = undefined
    this.#awaiting = false
  }

  /** The server answered a subscription request, or resumed the session that held it. */
  subscribed_(error: ErrorPayload | undefined, event: SubscribedEvent = { recovered: false }): void {
    if (this.#state === 'unsubscribed') return
    if (error !== undefined) return this.#end(new RealtimeError(error.code, error.message), true)
    this.#state = 'subscribed'
    this.held_ = true
    for (const waiter of this.#waiting.splice(0)) waiter.resolve(event)
    this.lifecycle.emit_('subscribed', event)
  }

  /** The connection dropped: the subscription holds again once the server confirms it anew. */
  lost_(): void {
    if (this.#state === 'subscribed') this.#state = 'subscribing'
  }

  /**
   * The subscription can no longer complete. `report`: whether the failure is the channel's own,
   * for its lifecycle `error` when no `subscribe()` promise reports it.
   */
  failed_(error: RealtimeError, report: boolean): void {
    if (this.#state !== 'unsubscribed') this.#end(error, report)
  }

  /** `left`: the app called `unsubscribe()`, which is no error for `unsubscribed` to carry. */
  #end(error: RealtimeError, report: boolean, left?: boolean): void {
    this.#state = 'unsubscribed'
    this.held_ = false
    const waiting = this.#waiting.splice(0)
    for (const waiter of waiting) waiter.reject(error)
    this.lifecycle.emit_('unsubscribed', left ? {} : { error })
    if (report && waiting.length === 0) this.lifecycle.emit_('error', error)
  }
}
