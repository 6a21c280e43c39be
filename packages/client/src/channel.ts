import type { DefaultEvents, EventArgs, EventData, EventName, HistoryPage, RealtimeError } from '@org/realtime-core'
import type { RealtimeClient } from './client.js'
import type { AckArgs, Lifecycle } from './events.js'

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

/** Payload of a channel's `unsubscribed` event. */
export interface UnsubscribedEvent {
  /**
   * Why the subscription ended: absent when the app called `unsubscribe()`; else the server's
   * refusal (`FORBIDDEN` or the code `authorize` threw), `TIMEOUT`, or `CLOSED` and the like when
   * the client stopped for good.
   */
  error?: RealtimeError
}

/** Lifecycle events of a {@link Channel}, heard on `channel.lifecycle`, and their listeners. */
export interface ChannelLifecycleEvents {
  /** The server confirmed the subscription, first time or after a reconnect. */
  subscribed: (event: SubscribedEvent) => void
  /** The subscription ended: the app left the channel, the server refused it, or the client stopped. */
  unsubscribed: (event: UnsubscribedEvent) => void
  /**
   * The server refused the subscription (or did not answer in time) when no `subscribe()` promise
   * waited to be rejected, such as a resubscription after a reconnect.
   */
  error: (error: RealtimeError) => void
}

/** What a channel listener receives besides the data. */
export interface MessageContext {
  /** The message's offset in the channel; undefined when the server keeps no history of it. */
  readonly offset: number | undefined
  /** The message's name: what tells messages apart for a listener of `'*'`. */
  readonly event: string
}

/** A listener of untyped channel messages: any data, declared as the type the app expects. */
export type ChannelListener = { listener(data: unknown, context: MessageContext): void }['listener']

/** The listener of the messages named `E` on a channel typed by `Events`. */
export type ChannelEventListener<Events, E extends keyof Events> =
  unknown extends EventData<Events, E> ? ChannelListener : (data: EventData<Events, E>, context: MessageContext) => void

/**
 * The listener of every message of a channel typed by `Events` (`channel.on('*', …)`): the data
 * of any of its events, with the event's name in `context.event`.
 */
export type ChannelWildcardListener<Events> =
  unknown extends AnyEventData<Events> ? ChannelListener : (data: AnyEventData<Events>, context: MessageContext) => void

/** The data of any event of `Events`. */
type AnyEventData<Events> = { [E in EventName<Events>]: EventData<Events, E> }[EventName<Events>]

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

/**
 * What a channel feature's factory receives (see {@link Channel.feature}): the channel, the client
 * for requests to the server (`emitWithAck` to a server plugin's events), and `claim`.
 */
export interface FeatureContext {
  /** The channel the feature belongs to: its name, state, `lifecycle`, `publish`, `history`. */
  readonly channel: Channel
  /** The client the channel belongs to. */
  readonly client: RealtimeClient
  /**
   * Delivers the messages named `event` on this channel to `listener` alone: the app's channel
   * listeners never hear them. A second claim of the same name adds a listener. Returns the
   * function that removes this listener (once none is left, the app's listeners hear the name again).
   */
  claim(event: string, listener: ChannelListener): () => void
}

/**
 * A named channel on the server, from `client.channel(name)`. Every message broadcast to the
 * channel, by a `subscribe()` of the client or by the server joining it to the room, reaches the
 * listeners added with `on`, with its offset; `client.on` never hears it. `subscribe()` asks the
 * server to join it (subject to its `authorize` hook), and the subscription is restored after
 * every reconnect. `Events` types the messages: name → `(data) => void`.
 */
export interface Channel<Events = DefaultEvents> {
  /** The channel's name. */
  readonly name: string

  /** Whether the server has confirmed the subscription. */
  readonly state: ChannelState

  /** Offset of the last message received on this channel, once one arrived or the server confirmed the subscription. */
  readonly offset: number | undefined

  /** The channel's lifecycle: `subscribed`, `unsubscribed` and `error`. */
  readonly lifecycle: Lifecycle<ChannelLifecycleEvents>

  /**
   * Calls `listener` with the data and context (offset, name) of every message broadcast to this
   * channel, whatever its name; after the listeners of that name. Features' messages (presence,
   * documents) are not among them.
   */
  on(event: '*', listener: ChannelWildcardListener<Events>): this
  /** Calls `listener` with the data and context (offset, name) of every `event` broadcast to this channel. */
  on<E extends EventName<Events>>(event: E, listener: ChannelEventListener<Events, E>): this

  /** Calls `listener` for the next message broadcast to this channel only, whatever its name. */
  once(event: '*', listener: ChannelWildcardListener<Events>): this
  /** Calls `listener` for the next `event` broadcast to this channel only. */
  once<E extends EventName<Events>>(event: E, listener: ChannelEventListener<Events, E>): this

  /** Removes `listener` of `'*'`, or all of them when `listener` is omitted. */
  off(event: '*', listener?: ChannelWildcardListener<Events>): this
  /** Removes `listener` of `event` (added with `on` or `once`), or all of them when `listener` is omitted. */
  off<E extends EventName<Events>>(event: E, listener?: ChannelEventListener<Events, E>): this

  /**
   * Subscribes, now or as soon as the client is connected. Resolves once the server confirms.
   * After a reconnect the subscription is restored by itself, with the messages missed meanwhile
   * replayed when the server still has them (see the `subscribed` lifecycle event).
   * @throws RealtimeError `FORBIDDEN` (or the code `authorize` threw) when the server refuses;
   * `CLOSED` when the client is disconnected on purpose or the channel left first. A refusal
   * that rejects this promise is not reported again as a lifecycle `error`.
   */
  subscribe(): Promise<SubscribedEvent>

  /** Leaves the channel; its listeners stay, for a later `subscribe()`. */
  unsubscribe(): void

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
  history(options?: HistoryOptions): Promise<ChannelHistory>

  /**
   * Sends `event` to the channel's other subscribers (the server checks `authorize` for
   * `'publish'`). Queued while disconnected. A refusal is reported as the client's lifecycle `error`.
   * @throws RealtimeError `BAD_FRAME` (invalid name), `PAYLOAD_TOO_LARGE`, `INVALID_PAYLOAD` or `QUEUE_FULL`.
   */
  publish<E extends EventName<Events>>(event: E, ...args: EventArgs<Events, E>): void

  /**
   * Like `publish`, resolving once the server has accepted and broadcast the event. A refusal
   * rejects the promise only.
   */
  publishWithAck<E extends EventName<Events>>(event: E, ...args: AckArgs<Events, E>): Promise<void>

  /**
   * The channel's feature under `key`, made by `create` on the first call and the same object on
   * every later one: the extension point of presence, documents and the like. `create` receives a
   * {@link FeatureContext}; the feature observes the channel on `channel.lifecycle` (`subscribed`
   * with `recovered`, `unsubscribed`), takes its own message names with `claim`, and sends with
   * `channel.publish` and `client.emitWithAck`.
   */
  feature<T>(key: string | symbol, create: (context: FeatureContext) => T): T
}
