import type { RealtimeClient, RealtimeError } from '@org/realtime-client'
import { presence, type Presence, type PresenceMember } from '@org/realtime-presence/client'
import { Lease } from './lease.js'

/** What a {@link usePresence} selector receives: the channel's presence, replaced on each change. */
export interface PresenceSnapshot<M = Record<string, unknown>> {
  /** Whether the state has arrived. */
  readonly synced: boolean
  /**
   * The members by key. A member object is replaced only when that member changes, so a selector
   * that picks one member (`(p) => p.members.get('ada')`) re-renders only for that member.
   */
  readonly members: ReadonlyMap<string, PresenceMember<M>>
  /**
   * The last presence error: a refused `track` (`LIMIT_EXCEEDED`…) until a `track` succeeds, else
   * the channel's (`FORBIDDEN`…) until the next sync.
   */
  readonly error: RealtimeError | undefined
}

/** The snapshot while rendering on the server, and while nothing watches. */
export const EMPTY_PRESENCE: PresenceSnapshot<never> = Object.freeze({ synced: false, members: new Map(), error: undefined })

/**
 * The presence of one channel of one client as the hooks share it: watched (its presence channel
 * subscribed) while a component holds it, stopped `delayMs` after the last one let go.
 */
export class PresenceStore<M> {
  readonly #client: RealtimeClient
  readonly #channel: string
  #presence: Presence<M> | undefined
  readonly #watchers = new Set<() => void>()
  readonly #lease = new Lease(
    () => this.#start(),
    () => this.#stop(),
  )
  #snapshot: PresenceSnapshot<M> = EMPTY_PRESENCE
  #trackError: RealtimeError | undefined
  #channelError: RealtimeError | undefined

  constructor(client: RealtimeClient, channel: string) {
    this.#client = client
    this.#channel = channel
  }

  /** The channel's presence, made (and watched) on first use: never while rendering. */
  get presence(): Presence<M> {
    return (this.#presence ??= presence<M>(this.#client.channel(this.#channel)))
  }

  snapshot(): PresenceSnapshot<M> {
    return this.#snapshot
  }

  /** Calls `onChange` on every change until the returned function is called. */
  watch(onChange: () => void): () => void {
    this.#watchers.add(onChange)
    return () => void this.#watchers.delete(onChange)
  }

  /** Holds the presence, watching it unless held; returns the release. */
  acquire(): (delayMs: number) => void {
    return this.#lease.acquire()
  }

  /** Records the outcome of a `track`: its refusal, or undefined once one succeeded. */
  tracked(error: RealtimeError | undefined): void {
    this.#trackError = error
    this.#set({ ...this.#snapshot, error: error ?? this.#channelError })
  }

  /** Records a failure of the presence channel the app should see (`FORBIDDEN`, say). */
  failed(error: RealtimeError): void {
    this.#channelError = error
    this.#set({ ...this.#snapshot, error: this.#trackError ?? error })
  }

  #start(): void {
    const fresh = this.#presence === undefined
    const p = this.presence
    p.on('sync', this.#onSync).on('join', this.#onMember).on('update', this.#onMember).on('leave', this.#onLeave).on('error', this.#onError)
    if (p.synced) this.#onSync(p.list())
    // A fresh presence watches at once. A stopped one watches again on its next `track` or
    // `untrack`: `untrack` of a connection that tracks nothing changes nothing on the server.
    const watching = this.#client.channel(`presence:${this.#channel}`).state !== 'unsubscribed'
    if (!fresh && !watching) p.untrack().catch(() => undefined)
  }

  #stop(): void {
    const p = this.presence
    p.off('sync', this.#onSync).off('join', this.#onMember).off('update', this.#onMember).off('leave', this.#onLeave).off('error', this.#onError)
    p.stop()
    this.#trackError = undefined
    this.#channelError = undefined
    this.#set(EMPTY_PRESENCE as PresenceSnapshot<M>)
  }

  readonly #onSync = (members: Array<PresenceMember<M>>): void => {
    this.#channelError = undefined
    this.#set({ synced: true, members: new Map(members.map((member) => [member.key, member])), error: this.#trackError })
  }

  readonly #onMember = (member: PresenceMember<M>): void => {
    const members = new Map(this.#snapshot.members)
    members.set(member.key, member)
    this.#set({ ...this.#snapshot, members })
  }

  readonly #onLeave = (member: PresenceMember<M>): void => {
    const members = new Map(this.#snapshot.members)
    members.delete(member.key)
    this.#set({ ...this.#snapshot, members })
  }

  readonly #onError = (error: RealtimeError): void => this.failed(error)

  #set(snapshot: PresenceSnapshot<M>): void {
    this.#snapshot = snapshot
    for (const onChange of [...this.#watchers]) onChange()
  }
}

const stores = new WeakMap<RealtimeClient, Map<string, PresenceStore<unknown>>>()

/** The shared presence store of `channel` on `client`. */
export function presenceStore<M>(client: RealtimeClient, channel: string): PresenceStore<M> {
  let byChannel = stores.get(client)
  if (byChannel === undefined) stores.set(client, (byChannel = new Map()))
  let store = byChannel.get(channel)
  if (store === undefined) byChannel.set(channel, (store = new PresenceStore<unknown>(client, channel)))
  return store as PresenceStore<M>
}
