import type { Channel, ChannelHistory, HistoryOptions } from '@org/realtime-client'
import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react'
import { useRealtimeContext } from './context.js'
import { SERVER_CHANNEL_STATUS, sharedChannel, type ChannelStatus, type SharedChannel } from './shared-channel.js'

/** Default of {@link UseChannelOptions.maxMessages}. */
export const DEFAULT_MAX_MESSAGES = 100

/** A message received on a channel, as {@link useChannel} keeps it. */
export interface ChannelMessage<T = unknown> {
  /** The message's name. */
  readonly event: string
  /** Its data. */
  readonly data: T
  /** Its offset in the channel; undefined when the server keeps no history of it. */
  readonly offset: number | undefined
}

/** Options of {@link useChannel}. */
export interface UseChannelOptions<T = unknown> {
  /**
   * Names of the messages to keep in `messages` (and pass to `onMessage`). Read on every render.
   * @default ['message']
   */
  events?: readonly string[]
  /**
   * Most messages `messages` keeps, newest last: older ones are dropped, so a busy channel cannot
   * grow the component's memory without bound.
   * @default 100
   */
  maxMessages?: number
  /** Called once for every kept message as it arrives (the newest function passed is called). */
  onMessage?: (message: ChannelMessage<T>) => void
}

/** What {@link useChannel} returns. */
export interface UseChannelResult<T = unknown> extends ChannelStatus {
  /** The messages received since the component mounted on this channel, at most `maxMessages`, oldest first. */
  readonly messages: ReadonlyArray<ChannelMessage<T>>
  /** The client's channel, for what the hook does not cover (`feature`, `lifecycle`). */
  readonly channel: Channel
  /**
   * Sends `event` to the channel's subscribers (queued while disconnected). A refusal comes as the
   * client's lifecycle `error`, shown by `useRealtime().error`.
   * @throws RealtimeError `BAD_FRAME`, `PAYLOAD_TOO_LARGE`, `INVALID_PAYLOAD` or `QUEUE_FULL`.
   */
  readonly publish: (event: string, data?: unknown) => void
  /** Like `publish`, resolving once the server accepted it; a refusal rejects the promise. */
  readonly publishWithAck: (event: string, data?: unknown, options?: { timeoutMs?: number }) => Promise<void>
  /** The messages the server keeps for the channel (see `Channel.history`). */
  readonly history: (options?: HistoryOptions) => Promise<ChannelHistory>
}

interface ViewSnapshot<T> {
  readonly status: ChannelStatus
  readonly messages: ReadonlyArray<ChannelMessage<T>>
}

const NO_MESSAGES: ReadonlyArray<ChannelMessage<never>> = Object.freeze([])
const SERVER_SNAPSHOT: ViewSnapshot<never> = Object.freeze({ status: SERVER_CHANNEL_STATUS, messages: NO_MESSAGES })
const DEFAULT_EVENTS: readonly string[] = ['message']

/**
 * One component's view of a shared channel: its own listeners and messages. `subscribe` holds the
 * channel (subscribing it on the server unless another component holds it, or held it within the
 * release delay) and listens; its cleanup lets go.
 */
class ChannelView<T> {
  readonly #shared: SharedChannel
  readonly #events: readonly string[]
  readonly #maxMessages: number
  readonly #delayMs: () => number
  readonly #onMessage: (message: ChannelMessage<T>) => void
  #messages: ReadonlyArray<ChannelMessage<T>> = NO_MESSAGES
  #snapshot: ViewSnapshot<T> = SERVER_SNAPSHOT

  constructor(shared: SharedChannel, events: readonly string[], maxMessages: number, delayMs: () => number, onMessage: (message: ChannelMessage<T>) => void) {
    this.#shared = shared
    this.#events = events
    this.#maxMessages = Math.max(1, Math.floor(maxMessages))
    this.#delayMs = delayMs
    this.#onMessage = onMessage
  }

  readonly subscribe = (onChange: () => void): (() => void) => {
    const { channel } = this.#shared
    const listeners = this.#events.map((event) => {
      const listener = (data: unknown, { offset }: { offset: number | undefined }): void => {
        const message: ChannelMessage<T> = { event, data: data as T, offset }
        const kept = this.#messages.slice(Math.max(0, this.#messages.length + 1 - this.#maxMessages))
        kept.push(message)
        this.#messages = kept
        onChange()
        this.#onMessage(message)
      }
      channel.on(event, listener)
      return [event, listener] as const
    })
    const unwatch = this.#shared.watch(onChange)
    const release = this.#shared.acquire()
    return () => {
      for (const [event, listener] of listeners) channel.off(event, listener)
      unwatch()
      release(this.#delayMs())
    }
  }

  readonly getSnapshot = (): ViewSnapshot<T> => {
    const status = this.#shared.status()
    if (status !== this.#snapshot.status || this.#messages !== this.#snapshot.messages) this.#snapshot = { status, messages: this.#messages }
    return this.#snapshot
  }

  readonly getServerSnapshot = (): ViewSnapshot<T> => SERVER_SNAPSHOT
}

/**
 * Subscribes to the channel `name` while the component is mounted, and returns its messages,
 * state, `recovered` and `publish`. Components using the same channel share one subscription,
 * which ends `releaseDelayMs` (provider prop, default 1000) after the last of them unmounted:
 * StrictMode and quick remounts subscribe once, and each message reaches each component once. A
 * new `name` leaves the old channel and subscribes to the new one. Nothing is subscribed while
 * rendering on the server. The channel is the hooks' to manage: do not `unsubscribe()` it by hand.
 * @throws RealtimeError `BAD_REQUEST` outside a `RealtimeProvider`; `BAD_FRAME` for an empty name
 * or one longer than 256 characters.
 *
 * @example
 * const { messages, publish, state } = useChannel<ChatLine>('room:lobby')
 * return <Chat lines={messages.map((m) => m.data)} onSend={(text) => publish('message', { text })} />
 */
export function useChannel<T = unknown>(name: string, options: UseChannelOptions<T> = {}): UseChannelResult<T> {
  const { client, releaseDelayMs } = useRealtimeContext('useChannel')
  const shared = sharedChannel(client, name)
  const delay = useRef(releaseDelayMs)
  const onMessage = useRef(options.onMessage)
  useEffect(() => {
    delay.current = releaseDelayMs
    onMessage.current = options.onMessage
  })
  const events = options.events ?? DEFAULT_EVENTS
  const eventsKey = events.join('\u0000')
  const maxMessages = options.maxMessages ?? DEFAULT_MAX_MESSAGES
  const view = useMemo(
    () => new ChannelView<T>(shared, eventsKey.split('\u0000'), maxMessages, () => delay.current, (message) => onMessage.current?.(message)),
    [shared, eventsKey, maxMessages],
  )
  const { status, messages } = useSyncExternalStore(view.subscribe, view.getSnapshot, view.getServerSnapshot)
  const { channel } = shared
  const actions = useMemo(
    () => ({
      publish: (event: string, data?: unknown): void => channel.publish(event, data),
      publishWithAck: (event: string, data?: unknown, ackOptions?: { timeoutMs?: number }): Promise<void> =>
        channel.publishWithAck(event, data, ackOptions),
      history: (historyOptions?: HistoryOptions): Promise<ChannelHistory> => channel.history(historyOptions),
    }),
    [channel],
  )
  return { ...status, messages, channel, ...actions }
}
