import { ErrorCode, RealtimeError, isRealtimeError, type Channel, type RealtimeClient } from '@org/realtime-client'
import { Emitter } from './emitter.js'
import { PresenceState, type PresenceChange, type PresenceMember } from './presence-state.js'
import { EVENT, PREFIX, isRecord, isWireDiff, isWireSync, type WireTrack } from './wire.js'

/** Events of a {@link Presence}, and their listeners. */
export interface PresenceEvents<M = Record<string, unknown>> {
  /** The full state, once, when it first arrives; changes after it come as `join`, `update` and `leave`. */
  sync: (members: Array<PresenceMember<M>>) => void
  /** A key arrived: its first meta. */
  join: (member: PresenceMember<M>) => void
  /** A present key changed: a meta was updated, went away or came back, or a tab opened or closed. */
  update: (member: PresenceMember<M>) => void
  /** A key's last meta went: the member as it was. */
  leave: (member: PresenceMember<M>) => void
  /**
   * Something failed that no promise reports: the server refused the presence channel
   * (`FORBIDDEN`), a sync failed, or a listener threw (`LISTENER_ERROR`, with `cause`).
   */
  error: (error: RealtimeError) => void
}

/** Options of {@link presence}, read when the channel's presence is first made. */
export interface PresenceOptions {
  /**
   * Milliseconds between two `track`/`update` sent to the server: calls in between are coalesced,
   * the last meta wins, and every promise resolves once a meta at least as new is acknowledged.
   * @default 50
   */
  throttleMs?: number
  /**
   * Milliseconds a diff may wait for an earlier one that has not arrived before the state is
   * fetched again.
   * @default 1000
   */
  resyncAfterMs?: number
}

/** Options of {@link Presence.list}. */
export interface PresenceListOptions {
  /** Start after this key (the last key of the previous page). */
  after?: string
  /**
   * Most members to return.
   * @default every one
   */
  limit?: number
}

/**
 * The presence of a channel, from `presence(channel)`: who else is in it, with their metas, and
 * this connection's own `track`. Follows the server through reconnects: the state is fetched again
 * and only what changed is reported.
 */
export interface Presence<M = Record<string, unknown>> {
  /** The channel's name. */
  readonly channel: string
  /** Whether the state has arrived (after `sync`). */
  readonly synced: boolean
  /** The ref of this connection's meta, once the server acknowledged a `track`; undefined after `untrack`. */
  readonly ref: string | undefined
  /**
   * Announces this connection in the channel with `meta` (JSON, at most the server's
   * `maxMetaBytes`), or replaces its meta: one `update` for the others, never a leave and a join.
   * Resolves once the server acknowledged it (or a later meta). Calls closer than `throttleMs` are
   * coalesced. Kept across reconnects: sent again when the presence channel is resubscribed.
   * @throws RealtimeError `FORBIDDEN` (the channel's presence is not visible to this connection,
   * or it may not track), `PAYLOAD_TOO_LARGE`, `BAD_FRAME`, `LIMIT_EXCEEDED`, `CLOSED` after `stop()`.
   */
  track(meta: M): Promise<void>
  /** The same as `track`: replaces this connection's meta. */
  update(meta: M): Promise<void>
  /** Removes this connection's meta; the presence stays watched. */
  untrack(): Promise<void>
  /** The members, in the order they arrived; a page of them with `options`. */
  list(options?: PresenceListOptions): Array<PresenceMember<M>>
  /** The member of `key`, if present. */
  get(key: string): PresenceMember<M> | undefined
  /** How many keys are present: counted locally, nothing is asked of the server. */
  count(): number
  /** Adds a listener. */
  on<E extends keyof PresenceEvents<M>>(event: E, listener: PresenceEvents<M>[E]): this
  /** Removes `listener`, or every listener of `event`. */
  off<E extends keyof PresenceEvents<M>>(event: E, listener?: PresenceEvents<M>[E]): this
  /** Stops watching: leaves the presence channel (which untracks), forgets the state. A later `track` starts again. */
  stop(): void
}

interface Waiter {
  version: number
  resolve(): void
  reject(error: RealtimeError): void
}

/** The {@link Presence} of one channel of one client. Not exported from the package. */
export class ClientPresence<M = Record<string, unknown>> implements Presence<M> {
  readonly channel: string
  readonly #client: RealtimeClient
  readonly #companion: Channel
  readonly #state = new PresenceState<M>()
  readonly #events: Emitter<PresenceEvents<M>>
  readonly #throttleMs: number
  readonly #resyncAfterMs: number
  /** What the server should hold for this connection: a meta, or nothing. */
  #wanted: { meta: M } | undefined
  #version = 0
  #sentVersion = 0
  #sending = false
  #lastSentAt = -Infinity
  #sendTimer: ReturnType<typeof setTimeout> | undefined
  #waiters: Waiter[] = []
  #ref: string | undefined
  #syncing = false
  #syncAgain = false
  #resyncTimer: ReturnType<typeof setTimeout> | undefined

  constructor(client: RealtimeClient, channel: string, options: PresenceOptions = {}) {
    this.channel = channel
    this.#client = client
    this.#throttleMs = options.throttleMs ?? 50
    this.#resyncAfterMs = options.resyncAfterMs ?? 1000
    this.#events = new Emitter((error, event) => this.#listenerFailed(error, event))
    this.#companion = client.channel(PREFIX + channel)
    this.#companion.feature(Symbol.for('@org/realtime-presence/diffs'), ({ claim }) => {
      claim(EVENT.diff, (data) => this.#diff(data))
      claim(EVENT.down, (data) => this.#down(data))
      claim(EVENT.resync, () => this.#sync())
    })
    this.#companion.lifecycle.on('subscribed', () => this.#subscribed())
    this.#companion.lifecycle.on('unsubscribed', ({ error }) => this.#unsubscribed(error))
    this.#companion.lifecycle.on('error', (error) => this.#events.emit('error', error))
    this.#watch()
  }

  get synced(): boolean {
    return this.#state.synced
  }

  get ref(): string | undefined {
    return this.#ref
  }

  track(meta: M): Promise<void> {
    try {
      JSON.stringify(meta)
    } catch (error) {
      return Promise.reject(new RealtimeError(ErrorCode.InvalidPayload, 'The meta cannot be encoded as JSON', { cause: error }))
    }
    this.#wanted = { meta }
    return this.#schedule()
  }

  update(meta: M): Promise<void> {
    return this.track(meta)
  }

  untrack(): Promise<void> {
    this.#wanted = undefined
    return this.#schedule()
  }

  list(options: PresenceListOptions = {}): Array<PresenceMember<M>> {
    return this.#state.list(options.after, options.limit)
  }

  get(key: string): PresenceMember<M> | undefined {
    return this.#state.get(key)
  }

  count(): number {
    return this.#state.count
  }

  on<E extends keyof PresenceEvents<M>>(event: E, listener: PresenceEvents<M>[E]): this {
    this.#events.on(event, listener)
    return this
  }

  off<E extends keyof PresenceEvents<M>>(event: E, listener?: PresenceEvents<M>[E]): this {
    this.#events.off(event, listener)
    return this
  }

  stop(): void {
    this.#wanted = undefined
    this.#companion.unsubscribe()
  }

  /** Subscribes to the presence channel, unless it is. */
  #watch(): void {
    if (this.#companion.state !== 'unsubscribed') return
    // A refusal is reported by `unsubscribed` (to the waiting tracks) and as `error`.
    this.#companion.subscribe().catch((error: RealtimeError) => {
      if (error.code !== ErrorCode.Closed) this.#events.emit('error', error)
    })
  }

  #schedule(): Promise<void> {
    const version = ++this.#version
    const settled = new Promise<void>((resolve, reject) => this.#waiters.push({ version, resolve, reject }))
    this.#watch()
    this.#pump()
    return settled
  }

  /** Sends what the server should hold, when it differs from what it was last sent and the throttle allows. */
  #pump(): void {
    if (this.#sending || this.#sendTimer !== undefined || this.#companion.state !== 'subscribed' || this.#sentVersion === this.#version) return
    const wait = this.#lastSentAt + this.#throttleMs - Date.now()
    if (wait > 0) {
      this.#sendTimer = setTimeout(() => {
        this.#sendTimer = undefined
        this.#pump()
      }, wait)
      return
    }
    const version = this.#version
    const wanted = this.#wanted
    this.#sending = true
    this.#lastSentAt = Date.now()
    const request =
      wanted === undefined
        ? this.#client.emitWithAck(EVENT.untrack, { ch: this.channel })
        : this.#client.emitWithAck(EVENT.track, { ch: this.channel, m: wanted.meta } satisfies WireTrack)
    request.then(
      (answer) => {
        this.#sending = false
        this.#sentVersion = version
        this.#ref = wanted !== undefined && isRecord(answer) && typeof answer.ref === 'string' ? answer.ref : undefined
        this.#settle(version)
        this.#pump()
      },
      (error: unknown) => {
        this.#sending = false
        const failure = isRealtimeError(error) ? error : new RealtimeError(ErrorCode.Internal, String(error))
        if (failure.code === ErrorCode.RateLimited) {
          // Sent again once the server allows, with the newest meta.
          this.#lastSentAt = Date.now() + (failure.retryAfterMs ?? 1000) - this.#throttleMs
          this.#pump()
          return
        }
        // A dropped connection: sent again once the presence channel is subscribed again (now,
        // if that came first).
        if (failure.code === ErrorCode.Disconnected) {
          this.#pump()
          return
        }
        this.#sentVersion = version
        this.#settle(version, failure)
        this.#pump()
      },
    )
  }

  #settle(version: number, error?: RealtimeError): void {
    const done = this.#waiters.filter((waiter) => waiter.version <= version)
    this.#waiters = this.#waiters.filter((waiter) => waiter.version > version)
    for (const waiter of done) {
      if (error === undefined) waiter.resolve()
      else waiter.reject(error)
    }
  }

  /** The presence channel is subscribed, first time or after a reconnect: fetch the state, and track again. */
  #subscribed(): void {
    // A session the server did not resume lost its meta: what should be held is sent again (the
    // server changes nothing when it holds it already).
    if (this.#wanted !== undefined || this.#version !== this.#sentVersion) this.#sentVersion = -1
    this.#pump()
    this.#sync()
  }

  #unsubscribed(error: RealtimeError | undefined): void {
    clearTimeout(this.#sendTimer)
    clearTimeout(this.#resyncTimer)
    this.#sendTimer = undefined
    this.#resyncTimer = undefined
    this.#state.clear()
    this.#ref = undefined
    this.#wanted = undefined
    this.#sentVersion = this.#version
    this.#settleAll(error ?? new RealtimeError(ErrorCode.Closed, `Stopped watching the presence of "${this.channel}"`))
  }

  #settleAll(error: RealtimeError): void {
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error)
  }

  #sync(): void {
    if (this.#syncing) {
      this.#syncAgain = true
      return
    }
    this.#syncing = true
    this.#client.emitWithAck(EVENT.sync, { ch: this.channel }).then(
      (answer) => {
        this.#syncing = false
        if (this.#companion.state === 'unsubscribed') return
        if (!isWireSync(answer)) {
          this.#events.emit('error', new RealtimeError(ErrorCode.BadFrame, `The server sent a malformed presence state for "${this.channel}"`))
          return
        }
        const { first, changes } = this.#state.sync(answer)
        if (first) this.#events.emit('sync', this.#state.list())
        else this.#report(changes)
        if (this.#syncAgain) {
          this.#syncAgain = false
          this.#sync()
        } else this.#checkBehind()
      },
      (error: RealtimeError) => {
        this.#syncing = false
        if (error.code === ErrorCode.RateLimited) {
          this.#resyncTimer ??= setTimeout(() => {
            this.#resyncTimer = undefined
            this.#sync()
          }, error.retryAfterMs ?? 1000)
          return
        }
        // A dropped connection syncs again once resubscribed; a stopped presence not at all.
        if (error.code === ErrorCode.Disconnected || this.#companion.state === 'unsubscribed') return
        this.#events.emit('error', error)
      },
    )
  }

  #diff(data: unknown): void {
    if (!isWireDiff(data)) return
    this.#report(this.#state.diff(data))
    this.#checkBehind()
  }

  #down(data: unknown): void {
    if (!isRecord(data) || typeof data.n !== 'string') return
    this.#report(this.#state.down(data.n))
  }

  /** Diffs wait for one that did not arrive: fetch the state, unless the gap fills meanwhile. */
  #checkBehind(): void {
    if (!this.#state.behind || this.#resyncTimer !== undefined) return
    this.#resyncTimer = setTimeout(() => {
      this.#resyncTimer = undefined
      if (this.#state.behind && this.#companion.state === 'subscribed') this.#sync()
    }, this.#resyncAfterMs)
  }

  #report(changes: Array<PresenceChange<M>>): void {
    for (const { type, member } of changes) this.#events.emit(type, member)
  }

  #listenerFailed(error: unknown, event: string): void {
    if (event === 'error') return
    this.#events.emit('error', new RealtimeError(ErrorCode.ListenerError, `A presence "${event}" listener threw`, { cause: error }))
  }
}

/** The feature key under which a channel keeps its presence. */
const FEATURE = Symbol.for('@org/realtime-presence')

/**
 * The presence of `channel`: who is in it (`list`, `count`, events `sync`, `join`, `update`,
 * `leave`) and this connection's own `track`. The first call subscribes to the channel's presence
 * channel, `presence:<name>` (the server's presence plugin lets in whoever may subscribe to the
 * channel); every later call returns the same object.
 *
 * @example
 * const room = client.channel('room:1')
 * const people = presence<{ name: string }>(room)
 * people.on('sync', (members) => render(members)).on('join', (m) => add(m)).on('leave', (m) => remove(m))
 * await people.track({ name: 'Ada' })
 */
export function presence<M = Record<string, unknown>>(channel: Channel<any>, options?: PresenceOptions): Presence<M> {
  return channel.feature(FEATURE, ({ client }) => new ClientPresence<M>(client, channel.name, options))
}
