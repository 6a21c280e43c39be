import type { HistoryEntry } from '@org/realtime-server'
import type { WireMessage, WirePacket } from './wire.js'

/** A message of a room's history, as a feed applies it. */
export interface FeedEntry extends HistoryEntry {
  readonly packet: WirePacket
}

/** Where a room's history stands in Redis, and some of its entries. */
export interface FeedRead {
  /** The history's epoch; null when the room has none (it expired, or Redis lost it). */
  readonly epoch: string | null
  /** Its last offset. */
  readonly offset: number
  /** Entries, oldest first. */
  readonly entries: readonly FeedEntry[]
}

/** What a feed needs from the adapter. */
export interface FeedHost {
  /** Starts the room's history when it has none; answers it with its last `tail` entries. */
  open(room: string, tail: number): Promise<FeedRead>
  /** Entries of the room from `offset` on, at most `count`. */
  read(room: string, offset: number, count: number): Promise<FeedRead>
  /** Delivers an entry to this node's connections (unless its flags say otherwise). */
  apply(room: string, entry: FeedEntry): void
  /** Messages of the room that could not be recovered: Redis no longer had them. */
  lost(room: string, count: number): void
  /**
   * A read failed. While Redis is reachable (`up`) the feed tries again after `retryMs`; while it
   * is not, it waits for {@link RoomFeed.sync}, which the adapter calls once Redis is back.
   */
  failed(room: string, error: unknown): void
  /** Whether Redis is reachable. */
  readonly up: boolean
  /** Milliseconds before a catch-up whose read failed while Redis was reachable is tried again. */
  readonly retryMs: number
  readonly tailSize: number
  readonly pendingLimit: number
  readonly fillBatch: number
  /** Milliseconds a message is kept; older ones are not replayed. */
  readonly ageMs: number
}

/** Most read rounds one catch-up makes before it settles for what it has. */
const MAX_ROUNDS = 1000

/** Messages of a new history within which the retries of messages of the old one are recognised. */
const RETRIES_WITHIN = 10_000

/** Who sent a message, and its number there: the same for a retry. */
function senderOf(entry: FeedEntry): string {
  return `${entry.packet.origin} ${entry.packet.seq}`
}

/**
 * One room this node follows: delivers the room's messages to this node's connections exactly
 * once and in the order of their offsets. Live messages come from pub/sub; when one is missing (a
 * Redis restart, a reconnect, the moment the node subscribed) the feed reads the gap from the
 * room's stream before it goes on, so nothing falls between them. It keeps the room's last
 * messages (`tailSize`), which answers the replays of clients resuming at once.
 */
export class RoomFeed {
  /** `starting` until the first read; `live` while in step; `syncing` while it catches up. */
  state: 'starting' | 'live' | 'syncing' | 'closed' = 'starting'
  epoch: string | undefined
  /** Offset of the last message applied. */
  cursor = 0
  /** The last messages applied, oldest first, ending at `cursor`. */
  readonly tail: FeedEntry[] = []
  /** Live messages heard while catching up. */
  #pending: WireMessage[] = []
  #running = false
  #again = false
  #retry: ReturnType<typeof setTimeout> | undefined
  /** After a start over: the last messages delivered of the old history, by sender and number. */
  #delivered: Set<string> | undefined
  /** Messages applied since the start over. */
  #sinceStart = 0
  #ready: Promise<void>
  #settle!: { resolve: () => void; reject: (error: unknown) => void }
  #settled = false
  /** Callers of {@link until} waiting for an offset. */
  #waiters: Array<{ offset: number; done: () => void }> = []

  constructor(
    readonly room: string,
    readonly host: FeedHost,
  ) {
    this.#ready = this.#newReady()
  }

  /** Resolves once the feed knows where the room stands (rejects when that read failed). */
  get ready(): Promise<void> {
    return this.#ready
  }

  /** A live message of the room. */
  receive(message: WireMessage): void {
    if (this.state === 'closed') return
    if (this.state !== 'live') {
      this.#keep(message)
      return
    }
    if (!this.#step(message)) {
      this.#keep(message)
      this.sync()
    }
  }

  /** Catches up with Redis: after a subscription, a reconnect, or a gap. */
  sync(): void {
    if (this.state === 'closed') return
    if (this.#running) {
      this.#again = true
      return
    }
    if (this.state === 'live') this.state = 'syncing'
    if (this.#settled && this.epoch === undefined) this.#ready = this.#newReady()
    this.#running = true
    this.#catchUp().then(
      () => {
        this.#running = false
        // Asked again after the catch-up's last look: its promise settles a moment after it ends.
        if (this.#again) this.sync()
      },
      (error: unknown) => {
        this.#running = false
        if (this.state === 'closed') return
        this.host.failed(this.room, error)
        if (!this.#settled) {
          this.#settled = true
          this.#settle.reject(error)
        }
        // Nothing else may ask again (a live message heard meanwhile is only kept): try again.
        if (this.host.up && this.#retry === undefined) {
          this.#retry = setTimeout(() => {
            this.#retry = undefined
            this.sync()
          }, this.host.retryMs)
          this.#retry.unref?.()
        }
      },
    )
  }

  /**
   * Resolves once the feed applied `offset`, or after `timeoutMs` (having asked for a catch-up
   * halfway, in case the message was lost on its way).
   */
  until(offset: number, timeoutMs: number): Promise<void> {
    if (this.cursor >= offset || this.state === 'closed') return Promise.resolve()
    return new Promise((resolve) => {
      const nudge = setTimeout(() => this.sync(), timeoutMs / 2)
      const giveUp = setTimeout(() => done(), timeoutMs)
      const done = (): void => {
        clearTimeout(nudge)
        clearTimeout(giveUp)
        this.#waiters = this.#waiters.filter((waiter) => waiter.done !== done)
        resolve()
      }
      this.#waiters.push({ offset, done })
    })
  }

  /** Stops following: nothing more is delivered. */
  close(): void {
    this.state = 'closed'
    clearTimeout(this.#retry)
    this.#pending = []
    for (const waiter of [...this.#waiters]) waiter.done()
    if (!this.#settled) {
      this.#settled = true
      this.#settle.reject(new Error('no longer following the room'))
    }
  }

  async #catchUp(): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      this.#again = false
      const more = this.epoch === undefined ? await this.#open() : await this.#fill()
      if (this.state === 'closed') return
      if (more) continue
      // In step with the stream: what pub/sub brought meanwhile follows on, unless it shows a gap.
      this.state = 'live'
      if (!this.#settled) {
        this.#settled = true
        this.#settle.resolve()
      }
      if (!this.#drain() && !this.#again) return
      this.state = 'syncing'
    }
    this.state = 'live'
  }

  /** First read: the room's position and last messages; nothing before it is delivered. */
  async #open(): Promise<boolean> {
    const opened = await this.host.open(this.room, this.host.tailSize)
    if (this.state === 'closed') return false
    this.epoch = opened.epoch ?? undefined
    this.cursor = opened.offset
    this.tail.length = 0
    for (const entry of opened.entries) if (entry.offset <= this.cursor) this.tail.push(entry)
    return false
  }

  /** Reads what follows the cursor; answers whether there is more to read. */
  async #fill(): Promise<boolean> {
    const read = await this.host.read(this.room, this.cursor + 1, this.host.fillBatch)
    if (this.state === 'closed') return false
    if (read.epoch !== this.epoch) {
      // Redis lost the history (restarted without persistence, or it expired). Every message of
      // the new one is new here: read it from its first (starting it if nobody has yet, or
      // joining the one another node just started).
      this.#startOver(read.epoch ?? (await this.host.open(this.room, 0)).epoch ?? undefined)
      return true
    }
    for (const entry of read.entries) this.#apply(entry)
    if (read.entries.length >= this.host.fillBatch) return true
    if (read.offset > this.cursor) {
      // The stream no longer holds them (trimmed by length or age while this node was away).
      this.host.lost(this.room, read.offset - this.cursor)
      this.cursor = read.offset
      this.tail.length = 0
    }
    return false
  }

  /** Applies the pending messages in order; answers whether one showed a gap. */
  #drain(): boolean {
    if (this.#pending.length === 0) return false
    // Those of the current history first: one of a new history starts over after them.
    const epoch = this.epoch
    const pending = this.#pending.sort((a, b) => Number(b.epoch === epoch) - Number(a.epoch === epoch) || (a.offset as number) - (b.offset as number))
    this.#pending = []
    for (let index = 0; index < pending.length; index++) {
      const message = pending[index] as WireMessage
      // Heard before Redis lost that history: the catch-up just read the current one.
      if (message.epoch !== this.epoch && message.offset !== 1) continue
      if (!this.#step(message)) {
        this.#pending = pending.slice(index)
        return true
      }
    }
    return false
  }

  /** Applies a live message when it is the next one (or drops it when already applied); false at a gap. */
  #step(message: WireMessage): boolean {
    const offset = message.offset as number
    if (message.epoch !== this.epoch) {
      if (offset !== 1) return false
      // The first message of a new history: Redis lost the old one.
      this.#startOver(message.epoch ?? undefined)
    }
    if (offset <= this.cursor) return true
    if (offset !== this.cursor + 1) return false
    this.#apply({ event: message.event, json: message.json, rooms: message.rooms, except: message.except, offset, at: message.at, packet: message })
    return true
  }

  /**
   * Starts over in the room's new history `epoch`: what pub/sub brought of the old one and the
   * cursor had not reached yet goes out first, in order, and the old history's last messages are
   * remembered by sender and number, so that one its node sends again into the new history (an
   * append whose answer the restart lost) is not delivered twice.
   */
  #startOver(epoch: string | undefined): void {
    const old = this.epoch
    const heard = this.#pending.filter((message) => message.epoch === old).sort((a, b) => (a.offset as number) - (b.offset as number))
    this.#pending = this.#pending.filter((message) => message.epoch !== old)
    for (const message of heard) if (!this.#step(message)) break
    this.#delivered = new Set(this.tail.map(senderOf))
    this.#sinceStart = 0
    this.epoch = epoch
    this.cursor = 0
    this.tail.length = 0
  }

  #apply(entry: FeedEntry): void {
    if (entry.offset <= this.cursor) return
    if (entry.offset > this.cursor + 1) {
      this.host.lost(this.room, entry.offset - this.cursor - 1)
      this.tail.length = 0
    }
    this.cursor = entry.offset
    if (this.host.tailSize > 0) {
      this.tail.push(entry)
      if (this.tail.length > this.host.tailSize) this.tail.shift()
    }
    const delivered = this.#delivered
    // The retries come within the first messages of the new history.
    if (delivered !== undefined && ++this.#sinceStart >= RETRIES_WITHIN) this.#delivered = undefined
    if (delivered === undefined || !delivered.has(senderOf(entry))) this.host.apply(this.room, entry)
    if (this.#waiters.length > 0) for (const waiter of this.#waiters.filter((waiting) => waiting.offset <= entry.offset)) waiter.done()
  }

  #keep(message: WireMessage): void {
    if (this.#pending.length >= this.host.pendingLimit) {
      // The stream has them: the catch-up reads them from there.
      this.#pending = []
      this.#again = true
    }
    this.#pending.push(message)
  }

  #newReady(): Promise<void> {
    this.#settled = false
    const ready = new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject }
    })
    // Nobody may be waiting: a failed first read is reported through `failed`.
    ready.catch(() => {})
    return ready
  }
}
