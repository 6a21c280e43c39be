import { ErrorCode, type Channel, type ChannelState, type RealtimeClient, type RealtimeError, type SubscribedEvent, type UnsubscribedEvent } from '@org/realtime-client'
import { Lease } from './lease.js'

/** Where a channel used by hooks stands. */
export interface ChannelStatus {
  /** `unsubscribed`, `subscribing` (also while reconnecting) or `subscribed`. */
  readonly state: ChannelState
  /**
   * Whether the last confirmation of the subscription replayed everything missed while away
   * (`subscribed` event's `recovered`). False before the first confirmation, on a first
   * subscription, and when messages were lost: reload the channel's state from its source.
   */
  readonly recovered: boolean
  /** Why the subscription ended or was refused (`FORBIDDEN`, `TIMEOUT`, `CLOSED`…), if it did. */
  readonly error: RealtimeError | undefined
}

/** The status every hook shows while rendering on the server: nothing is subscribed there. */
export const SERVER_CHANNEL_STATUS: ChannelStatus = Object.freeze({ state: 'unsubscribed', recovered: false, error: undefined })

/**
 * One channel of one client as the hooks share it: subscribed when its first holder mounts,
 * unsubscribed `delayMs` after its last holder unmounted, unless one came back meanwhile. So
 * StrictMode's mount–unmount–mount and A→B→A remounts keep the one subscription the server holds.
 */
export class SharedChannel {
  readonly channel: Channel
  readonly #client: RealtimeClient
  readonly #watchers = new Set<() => void>()
  readonly #lease = new Lease(
    () => this.#start(),
    () => this.#stop(),
  )
  #status: ChannelStatus = SERVER_CHANNEL_STATUS

  constructor(client: RealtimeClient, channel: Channel) {
    this.#client = client
    this.channel = channel
  }

  /** The status, the same object until something changed. */
  status(): ChannelStatus {
    // The client marks a subscription lost on a drop without an event: read it here too.
    if (this.#lease.active && this.#status.state !== this.channel.state) this.#status = { ...this.#status, state: this.channel.state }
    return this.#status
  }

  /** Calls `onChange` when the status changes, until the returned function is called. */
  watch(onChange: () => void): () => void {
    this.#watchers.add(onChange)
    return () => void this.#watchers.delete(onChange)
  }

  /**
   * Holds the channel, subscribing unless it is held or within its release delay. Returns the
   * release, which unsubscribes `delayMs` after the last holder let go.
   */
  acquire(): (delayMs: number) => void {
    return this.#lease.acquire()
  }

  #start(): void {
    const { channel } = this
    channel.lifecycle.on('subscribed', this.#onSubscribed).on('unsubscribed', this.#onUnsubscribed)
    this.#client.lifecycle.on('disconnect', this.#onDrop).on('reconnecting', this.#onDrop).on('connect', this.#onConnect)
    this.#set({ state: channel.state === 'unsubscribed' ? 'subscribing' : channel.state, recovered: false, error: undefined })
    // A refusal arrives as `unsubscribed` with its error too; the promise needs no other handling.
    channel.subscribe().catch(() => undefined)
  }

  #stop(): void {
    this.channel.lifecycle.off('subscribed', this.#onSubscribed).off('unsubscribed', this.#onUnsubscribed)
    this.#client.lifecycle.off('disconnect', this.#onDrop).off('reconnecting', this.#onDrop).off('connect', this.#onConnect)
    this.channel.unsubscribe()
    this.#set(SERVER_CHANNEL_STATUS)
  }

  readonly #onSubscribed = ({ recovered }: SubscribedEvent): void => this.#set({ state: 'subscribed', recovered, error: undefined })

  readonly #onUnsubscribed = ({ error }: UnsubscribedEvent): void => this.#set({ state: 'unsubscribed', recovered: false, error })

  readonly #onDrop = (): void => this.#set({ ...this.#status, state: this.channel.state })

  /** The app connected the client again after `disconnect()`, which ended the subscription: resubscribe. */
  readonly #onConnect = (): void => {
    if (this.channel.state !== 'unsubscribed' || this.#status.error?.code !== ErrorCode.Closed) return
    this.#set({ state: 'subscribing', recovered: false, error: undefined })
    this.channel.subscribe().catch(() => undefined)
  }

  #set(status: ChannelStatus): void {
    const old = this.#status
    if (old.state === status.state && old.recovered === status.recovered && old.error === status.error) return
    this.#status = status
    for (const onChange of [...this.#watchers]) onChange()
  }
}

const registries = new WeakMap<RealtimeClient, Map<string, SharedChannel>>()

/**
 * The shared channel `name` of `client`, made on first use and kept (like the client's own channel
 * objects) for later hooks.
 * @throws RealtimeError `BAD_FRAME` for a name that is empty or longer than 256 characters.
 */
export function sharedChannel(client: RealtimeClient, name: string): SharedChannel {
  let registry = registries.get(client)
  if (registry === undefined) registries.set(client, (registry = new Map()))
  let shared = registry.get(name)
  if (shared === undefined) registry.set(name, (shared = new SharedChannel(client, client.channel(name))))
  return shared
}
