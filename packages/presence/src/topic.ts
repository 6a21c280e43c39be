import type { WireDiff, WireEntry, WireNodeState, WireSync } from './wire.js'

/** One connection's meta as the server holds it: immutable, replaced when it changes. */
export interface Entry {
  /** Names the connection among its node's: the meta's `ref` is `<node>.<ref>`. */
  readonly ref: string
  readonly key: string
  readonly meta: unknown
  /** The meta as JSON, to tell a change from a repeat. */
  readonly json: string
  readonly away: boolean
}

/** What one node has published of a channel's presence: its metas as of its diff `seq`. */
interface View {
  seq: number
  readonly entries: Map<string, Entry>
}

/** A member as the server lists it: a key and the metas of its connections. */
export interface ServerPresenceMember {
  /** The key. */
  readonly key: string
  /** One per connection, on any node of the cluster. */
  readonly metas: ReadonlyArray<{
    /** Names the connection's meta, `<node>.<ref>`, as clients see it. */
    readonly ref: string
    /** What the connection tracked. */
    readonly meta: unknown
    /** True while the connection dropped and its session waits to be resumed. */
    readonly away: boolean
  }>
}

/**
 * The presence of one channel on one node: what each node of the cluster published (this one's
 * included), which is what clients are sent, and this node's own metas as they are now, published
 * by {@link Topic.flush} in one diff per batch. Not exported from the package.
 */
export class Topic {
  /** By node: its published metas. */
  readonly #views = new Map<string, View>()
  /** Metas per key, in every view: `count` is its size. */
  readonly #keys = new Map<string, number>()
  #metas = 0
  /** This node's metas now, by ref. */
  readonly live = new Map<string, Entry>()
  /** This node's metas now, per key. */
  readonly #liveKeys = new Map<string, number>()
  /** Refs changed since the last flush. */
  readonly #dirty = new Set<string>()
  /** The last `state()`, until a view changes: many watchers subscribing at once share it. */
  #state: WireSync | undefined

  constructor(
    readonly name: string,
    readonly self: string,
  ) {}

  /** How many keys are present, on every node. */
  get count(): number {
    return this.#keys.size
  }

  /** How many metas there are, on every node, counting this node's unpublished ones. */
  get metas(): number {
    return this.#metas - (this.#views.get(this.self)?.entries.size ?? 0) + this.live.size
  }

  /** This node's metas of `key` now. */
  liveMetasOf(key: string): number {
    return this.#liveKeys.get(key) ?? 0
  }

  /**
   * Whether nothing is held, published or pending: the topic may be forgotten (when no connection
   * of this node watches it either, or its clients' next diff would look like a gap).
   */
  get empty(): boolean {
    return this.#metas === 0 && this.live.size === 0 && this.#dirty.size === 0
  }

  /** Whether this node has changes to publish. */
  get dirty(): boolean {
    return this.#dirty.size > 0
  }

  /** Sets this node's meta `entry` (new or changed); published by the next flush. */
  set(entry: Entry): void {
    const old = this.live.get(entry.ref)
    if (old !== undefined) this.#countLive(old.key, -1)
    this.live.set(entry.ref, entry)
    this.#countLive(entry.key, 1)
    this.#dirty.add(entry.ref)
  }

  /** Removes this node's meta `ref`; published by the next flush. */
  delete(ref: string): void {
    const old = this.live.get(ref)
    if (old === undefined) return
    this.live.delete(ref)
    this.#countLive(old.key, -1)
    this.#dirty.add(ref)
  }

  /**
   * This node's next diff, numbered `s`, with what changed since the last one (a meta set and
   * removed in between is not in it), applied to its view; undefined when nothing changed.
   */
  flush(s: number): WireDiff | undefined {
    const view = this.#view(this.self)
    const joined: WireEntry[] = []
    const left: string[] = []
    for (const ref of this.#dirty) {
      const now = this.live.get(ref)
      const published = view.entries.get(ref)
      if (now === undefined) {
        if (published !== undefined) left.push(ref)
      } else if (published === undefined || published.json !== now.json || published.away !== now.away || published.key !== now.key) {
        joined.push(wireEntry(now))
      }
    }
    this.#dirty.clear()
    if (joined.length === 0 && left.length === 0) return undefined
    const diff: WireDiff = { n: this.self, s, p: view.seq }
    if (joined.length > 0) diff.j = joined
    if (left.length > 0) diff.l = left
    this.apply(diff)
    return diff
  }

  /**
   * Applies node `diff.n`'s diff to its view: `'old'` when the view has it already, `'gap'` (and
   * nothing is applied) when the view lacks the diff it follows (ask that node for its state).
   */
  apply(diff: WireDiff): 'applied' | 'old' | 'gap' {
    const view = this.#view(diff.n)
    if (diff.s <= view.seq) return 'old'
    if (diff.p > view.seq) return 'gap'
    this.#state = undefined
    view.seq = diff.s
    for (const ref of diff.l ?? []) this.#unpublish(view, ref)
    for (const entry of diff.j ?? []) this.#publish(view, entry)
    return 'applied'
  }

  /** Replaces node `node`'s view with its state; returns whether any meta changed. */
  replace(node: string, seq: number, entries: readonly WireEntry[]): boolean {
    const view = this.#view(node)
    // A diff newer than the state arrived first: the view is ahead of it.
    if (seq < view.seq) return false
    this.#state = undefined
    let changed = false
    const present = new Set(entries.map((entry) => entry[0]))
    for (const ref of [...view.entries.keys()]) {
      if (!present.has(ref)) changed = this.#unpublish(view, ref) || changed
    }
    for (const entry of entries) changed = this.#publish(view, entry) || changed
    view.seq = seq
    return changed
  }

  /** Removes node `node`'s view; returns whether it held any meta. */
  drop(node: string): boolean {
    const view = this.#views.get(node)
    if (view === undefined) return false
    this.#state = undefined
    const had = view.entries.size > 0
    for (const ref of [...view.entries.keys()]) this.#unpublish(view, ref)
    this.#views.delete(node)
    return had
  }

  /** The nodes with a view of this channel. */
  nodes(): string[] {
    return [...this.#views.keys()]
  }

  /** Every node's published metas, with their versions: what a client's sync receives. */
  state(): WireSync {
    this.#state ??= { n: [...this.#views].map(([node, view]): WireNodeState => [node, view.seq, Array.from(view.entries.values(), wireEntry)]) }
    return this.#state
  }

  /** This node's published metas and their version, for a peer that asks. */
  own(): [seq: number, entries: WireEntry[]] {
    const view = this.#views.get(this.self)
    return [view?.seq ?? 0, view === undefined ? [] : Array.from(view.entries.values(), wireEntry)]
  }

  /** The members, grouped by key, from every node's published metas. */
  members(): ServerPresenceMember[] {
    const byKey = new Map<string, Array<{ ref: string; meta: unknown; away: boolean }>>()
    for (const [node, view] of this.#views) {
      for (const { ref, key, meta, away } of view.entries.values()) {
        let metas = byKey.get(key)
        if (metas === undefined) byKey.set(key, (metas = []))
        metas.push({ ref: `${node}.${ref}`, meta, away })
      }
    }
    return Array.from(byKey, ([key, metas]) => ({ key, metas }))
  }

  #view(node: string): View {
    let view = this.#views.get(node)
    if (view === undefined) {
      this.#state = undefined
      this.#views.set(node, (view = { seq: 0, entries: new Map() }))
    }
    return view
  }

  #publish(view: View, [ref, key, meta, away]: WireEntry): boolean {
    const json = JSON.stringify(meta) ?? 'null'
    const old = view.entries.get(ref)
    if (old !== undefined && old.json === json && old.away === (away === 1) && old.key === key) return false
    if (old !== undefined) this.#unpublish(view, ref)
    view.entries.set(ref, { ref, key, meta, json, away: away === 1 })
    this.#keys.set(key, (this.#keys.get(key) ?? 0) + 1)
    this.#metas++
    return true
  }

  #unpublish(view: View, ref: string): boolean {
    const old = view.entries.get(ref)
    if (old === undefined) return false
    view.entries.delete(ref)
    const left = (this.#keys.get(old.key) ?? 1) - 1
    if (left === 0) this.#keys.delete(old.key)
    else this.#keys.set(old.key, left)
    this.#metas--
    return true
  }

  #countLive(key: string, by: 1 | -1): void {
    const count = (this.#liveKeys.get(key) ?? 0) + by
    if (count === 0) this.#liveKeys.delete(key)
    else this.#liveKeys.set(key, count)
  }
}

function wireEntry({ ref, key, meta, away }: Entry): WireEntry {
  return [ref, key, meta, away ? 1 : 0]
}
