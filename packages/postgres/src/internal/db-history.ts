import type { ChannelPosition } from '@org/realtime-core'
import type { HistoryEntry, HistoryReader, HistoryReadLimits, HistorySlice, HistoryStore, Published } from '@org/realtime-server'
import type { ChangeLog } from './change-log.js'

/** What the history needs to know about a `db:` room. */
export interface RoomView {
  /** `schema.table`. */
  readonly table: string
  /** The message of `change` as this room carries it, or undefined when the room's filter leaves it out. */
  project(event: string, json: string): string | undefined
  /** Whether who may read the room's messages depends on the reader (a `filterRow` decides per connection). */
  readonly perReader: boolean
}

/** Rows read per query while a filtered room's history is read. */
const PAGE = 500
/** Most rows one `after` reads, filtered or not: past it the read says `truncated`. */
const MAX_SCANNED = 20_000

/**
 * The history of every `db:` channel, read from the change log in PostgreSQL: offsets are change
 * ids, shared by all the channels of a table (a filtered channel's offsets have gaps), so they
 * survive a server restart. `append` only hands back the id the plugin gave the change being
 * broadcast: the change was logged before.
 */
export class DbHistory implements HistoryStore {
  readonly #log: ChangeLog
  readonly #view: (room: string) => RoomView | undefined
  readonly #ready: () => Promise<void>
  /** Whether `reader` may see the change logged as `json` (the plugin's `filterRow`). */
  readonly #mayRead: ((reader: HistoryReader, json: string) => boolean) | undefined
  /** Ids of the changes being broadcast, by the JSON of their message. */
  readonly #broadcasting = new Map<string, number>()
  epoch = ''
  /** Id of the last change broadcast (or logged before this process started). */
  lastId = 0
  trimmedThrough = 0
  #isReady = false

  constructor(
    log: ChangeLog,
    view: (room: string) => RoomView | undefined,
    ready: () => Promise<void>,
    mayRead?: (reader: HistoryReader, json: string) => boolean,
  ) {
    this.#log = log
    this.#view = view
    this.#ready = ready
    this.#mayRead = mayRead
  }

  /** The log was opened: history starts from `state`. */
  opened(state: { epoch: string; lastId: number; trimmedThrough: number }): void {
    this.epoch = state.epoch
    this.lastId = state.lastId
    this.trimmedThrough = state.trimmedThrough
    this.#isReady = true
  }

  /** Runs `broadcast`, during which messages with `json` are given offset `id`. */
  async broadcasting<T>(id: number, jsons: readonly string[], broadcast: () => Promise<T>): Promise<T> {
    for (const json of jsons) this.#broadcasting.set(json, id)
    try {
      return await broadcast()
    } finally {
      for (const json of jsons) this.#broadcasting.delete(json)
      if (id > this.lastId) this.lastId = id
    }
  }

  append(room: string, message: Published): number {
    const id = message.json === undefined ? undefined : this.#broadcasting.get(message.json)
    if (id === undefined) throw new Error(`Channel ${room} carries database changes only: the server cannot broadcast to it`)
    return id
  }

  position(room: string): ChannelPosition | Promise<ChannelPosition> {
    if (!this.#isReady) return this.#ready().then(() => this.position(room))
    return { epoch: this.epoch, offset: this.lastId }
  }

  peek(room: string): ChannelPosition | undefined | Promise<ChannelPosition | undefined> {
    if (this.#view(room) === undefined) return undefined
    return this.position(room)
  }

  /**
   * The changes of `room` after `offset`. A room whose readers are filtered row by row
   * (`filterRow`) is read only for a `reader`, through the filter: without one, the read says
   * nothing is kept (`complete: false`), so nothing the reader may not see is ever sent.
   */
  async after(room: string, offset: number, limits: HistoryReadLimits = {}, reader?: HistoryReader): Promise<HistorySlice> {
    await this.#ready()
    const view = this.#view(room)
    const through = this.lastId
    if (view === undefined || offset >= through) return { entries: [], complete: view !== undefined || offset === 0, truncated: false }
    const mayRead = view.perReader ? this.#mayRead : undefined
    if (offset < this.trimmedThrough || (view.perReader && (mayRead === undefined || reader === undefined))) return { entries: [], complete: false, truncated: false }
    const limit = limits.limit ?? Infinity
    const maxBytes = limits.maxBytes ?? Infinity
    const entries: HistoryEntry[] = []
    let bytes = 0
    let scanned = 0
    let cursor = offset
    while (scanned < MAX_SCANNED) {
      const rows = await this.#log.read(view.table, cursor, through, PAGE)
      scanned += rows.length
      for (const row of rows) {
        cursor = row.id
        const json = view.project(row.event, row.json)
        if (json === undefined || (mayRead !== undefined && !mayRead(reader as HistoryReader, row.json))) continue
        if (entries.length >= limit || (bytes + row.event.length + json.length > maxBytes && entries.length > 0)) {
          return { entries, complete: true, truncated: true }
        }
        bytes += row.event.length + json.length
        entries.push({ event: row.event, json, rooms: [room], except: [], offset: row.id, at: row.at })
      }
      if (rows.length < PAGE) return { entries, complete: true, truncated: false }
    }
    return { entries, complete: true, truncated: true }
  }

  close(): void {
    this.#broadcasting.clear()
  }
}
