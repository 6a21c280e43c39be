import type { WireDiff, WireEntry, WireSync } from './wire.js'

/** One connection's presence under a key: a tab, a device. */
export interface PresenceMeta<M = Record<string, unknown>> {
  /** Names this connection's meta in the channel; the same across `update`s, new for a new session. */
  readonly ref: string
  /** What the connection tracked with `track(meta)` or `update(meta)`. */
  readonly meta: M
  /** True while the connection dropped and its session waits to be resumed. */
  readonly away: boolean
}

/** One key (a user) in a channel, with the metas of its connections, oldest first. */
export interface PresenceMember<M = Record<string, unknown>> {
  /** The key the server derived from the connection's authenticated `data` (its `key` option). */
  readonly key: string
  /** One per connection that tracks the key; never empty while the key is present. */
  readonly metas: ReadonlyArray<PresenceMeta<M>>
}

/** A change to one key, as the events `join`, `update` and `leave` report it. */
export interface PresenceChange<M = Record<string, unknown>> {
  readonly type: 'join' | 'update' | 'leave'
  /** The member after the change; for a `leave`, the metas it had last. */
  readonly member: PresenceMember<M>
}

/** A meta as the state holds it: immutable, replaced when it changes. */
interface Held {
  readonly ref: string
  readonly key: string
  readonly meta: unknown
  readonly json: string
  readonly away: boolean
  readonly node: string
}

/** Diffs kept until the state they apply to arrives: before the first sync, or after a gap. */
const MAX_BUFFERED = 1000
/** Nodes remembered as gone, so that their late diffs bring back no one. */
const MAX_GONE = 1000

/**
 * A client's view of one channel's presence: a full state (`sync`), then versioned diffs, one
 * sequence per node. A diff already contained in the state changes nothing; one that arrives
 * before the state it applies to waits for it; a gap that does not fill asks for a new sync.
 * Every method returns the changes it made, per key. Not exported from the package.
 */
export class PresenceState<M = Record<string, unknown>> {
  readonly #members = new Map<string, Map<string, Held>>()
  readonly #refs = new Map<string, Held>()
  /** Per node: the `s` of the last of its diffs of this channel the state contains. */
  readonly #clock = new Map<string, number>()
  readonly #gone = new Set<string>()
  /** Diffs that arrived before the first sync. */
  #early: WireDiff[] = []
  /** Diffs ahead of their node's clock, by node and the `p` they wait for. */
  readonly #ahead = new Map<string, Map<number, WireDiff>>()
  #aheadCount = 0
  #synced = false
  #lost = false

  /** Whether a sync has arrived. */
  get synced(): boolean {
    return this.#synced
  }

  /** How many keys are present. */
  get count(): number {
    return this.#members.size
  }

  /** Whether diffs wait for ones that have not arrived, or were dropped: a new sync is due. */
  get behind(): boolean {
    return this.#aheadCount > 0 || this.#lost
  }

  /** The member of `key`, if present. */
  get(key: string): PresenceMember<M> | undefined {
    const metas = this.#members.get(key)
    return metas === undefined ? undefined : member<M>(key, metas.values())
  }

  /** Members in the order they joined; from the one after `after`, at most `limit`. */
  list(after?: string, limit = Infinity): Array<PresenceMember<M>> {
    const page: Array<PresenceMember<M>> = []
    let started = after === undefined
    for (const [key, metas] of this.#members) {
      if (page.length >= limit) break
      if (started) page.push(member<M>(key, metas.values()))
      else started = key === after
    }
    return page
  }

  /**
   * Replaces the state with `state`, then applies the diffs that were waiting for it. Returns
   * `first` for the first sync (the caller reports `sync`, not the changes).
   */
  sync(state: WireSync): { first: boolean; changes: Array<PresenceChange<M>> } {
    const changes = new Changes(this.#members)
    const present = new Set<string>()
    this.#clock.clear()
    for (const [node, seq, entries] of state.n) {
      this.#clock.set(node, seq)
      this.#gone.delete(node)
      for (const entry of entries) {
        present.add(`${node}.${entry[0]}`)
        this.#upsert(entry, node, changes)
      }
    }
    for (const ref of [...this.#refs.keys()]) if (!present.has(ref)) this.#remove(ref, changes)
    const first = !this.#synced
    this.#synced = true
    this.#lost = false
    const waiting = [...this.#early.splice(0), ...[...this.#ahead.values()].flatMap((byNode) => [...byNode.values()])]
    this.#ahead.clear()
    this.#aheadCount = 0
    waiting.sort((a, b) => a.s - b.s)
    for (const diff of waiting) this.#receive(diff, changes)
    return { first, changes: changes.list() }
  }

  /** Applies a diff: now, when it is its node's next; later, when it is ahead; never, when it is already in the state. */
  diff(diff: WireDiff): Array<PresenceChange<M>> {
    if (!this.#synced) {
      if (this.#early.length < MAX_BUFFERED) this.#early.push(diff)
      else this.#lost = true
      return []
    }
    const changes = new Changes(this.#members)
    this.#receive(diff, changes)
    return changes.list()
  }

  /** Node `node` is gone: its metas leave, and its late diffs are ignored until a sync names it. */
  down(node: string): Array<PresenceChange<M>> {
    const changes = new Changes(this.#members)
    this.#clock.delete(node)
    this.#gone.add(node)
    if (this.#gone.size > MAX_GONE) this.#gone.delete(this.#gone.values().next().value as string)
    const ahead = this.#ahead.get(node)
    if (ahead !== undefined) {
      this.#aheadCount -= ahead.size
      this.#ahead.delete(node)
    }
    for (const held of [...this.#refs.values()]) if (held.node === node) this.#remove(held.ref, changes)
    return changes.list()
  }

  /** Forgets everything, silently: the channel was left. */
  clear(): void {
    this.#members.clear()
    this.#refs.clear()
    this.#clock.clear()
    this.#early = []
    this.#ahead.clear()
    this.#aheadCount = 0
    this.#synced = false
    this.#lost = false
  }

  #receive(diff: WireDiff, changes: Changes): void {
    if (this.#gone.has(diff.n)) return
    const applied = this.#clock.get(diff.n) ?? 0
    if (diff.s <= applied) return
    if (diff.p > applied) {
      // Ahead: it waits for the diff it follows (the one numbered `p`).
      let byNode = this.#ahead.get(diff.n)
      if (byNode === undefined) this.#ahead.set(diff.n, (byNode = new Map()))
      if (byNode.has(diff.p)) return
      if (this.#aheadCount >= MAX_BUFFERED) {
        this.#lost = true
        return
      }
      byNode.set(diff.p, diff)
      this.#aheadCount++
      return
    }
    this.#apply(diff, changes)
    // The diffs that waited for this one.
    const byNode = this.#ahead.get(diff.n)
    let next = byNode?.get(diff.s)
    while (byNode !== undefined && next !== undefined) {
      byNode.delete(next.p)
      this.#aheadCount--
      this.#apply(next, changes)
      next = byNode.get(next.s)
    }
    if (byNode?.size === 0) this.#ahead.delete(diff.n)
  }

  #apply(diff: WireDiff, changes: Changes): void {
    this.#clock.set(diff.n, diff.s)
    for (const ref of diff.l ?? []) this.#remove(`${diff.n}.${ref}`, changes)
    for (const entry of diff.j ?? []) this.#upsert(entry, diff.n, changes)
  }

  #upsert([local, key, meta, away]: WireEntry, node: string, changes: Changes): void {
    const ref = `${node}.${local}`
    const json = JSON.stringify(meta) ?? 'null'
    const old = this.#refs.get(ref)
    if (old !== undefined && old.key === key && old.json === json && old.away === (away === 1) && old.node === node) return
    if (old !== undefined && old.key !== key) this.#remove(ref, changes)
    changes.touch(key)
    const held: Held = { ref, key, meta, json, away: away === 1, node }
    this.#refs.set(ref, held)
    let metas = this.#members.get(key)
    if (metas === undefined) this.#members.set(key, (metas = new Map()))
    metas.set(ref, held)
  }

  #remove(ref: string, changes: Changes): void {
    const held = this.#refs.get(ref)
    if (held === undefined) return
    changes.touch(held.key)
    this.#refs.delete(ref)
    const metas = this.#members.get(held.key)
    metas?.delete(ref)
    if (metas?.size === 0) this.#members.delete(held.key)
  }
}

/** The keys a step touched, with their metas before it: what `join`, `update` and `leave` report. */
class Changes {
  readonly #before = new Map<string, Held[] | undefined>()

  constructor(readonly members: ReadonlyMap<string, ReadonlyMap<string, Held>>) {}

  touch(key: string): void {
    if (this.#before.has(key)) return
    const metas = this.members.get(key)
    this.#before.set(key, metas === undefined ? undefined : [...metas.values()])
  }

  list<M>(): Array<PresenceChange<M>> {
    const changes: Array<PresenceChange<M>> = []
    for (const [key, before] of this.#before) {
      const after = this.members.get(key)
      if (after === undefined) {
        if (before !== undefined) changes.push({ type: 'leave', member: member<M>(key, before) })
      } else if (before === undefined) changes.push({ type: 'join', member: member<M>(key, after.values()) })
      else if (before.length !== after.size || before.some((held) => after.get(held.ref) !== held)) {
        changes.push({ type: 'update', member: member<M>(key, after.values()) })
      }
    }
    return changes
  }
}

function member<M>(key: string, metas: Iterable<Held>): PresenceMember<M> {
  return { key, metas: Array.from(metas, ({ ref, meta, away }) => ({ ref, meta: meta as M, away })) }
}
