import type { Connection } from '@org/realtime-server'
import { readTableRoom } from '../channel-name.js'
import { compileFilter, type RowFilter } from '../filter.js'
import { projectPayload, type ChangePayload } from '../payload.js'
import type { Catalog } from './catalog.js'
import type { RoomView } from './db-history.js'

/** A `db:` room: its table, compiled filter, columns, and the connections of this process in it. */
export interface TableRoom extends RoomView {
  readonly name: string
  readonly filter: RowFilter | undefined
  readonly columns: readonly string[] | undefined
  readonly members: Set<Connection<any>>
}

/** Most room views kept for history reads of rooms nobody here is in. */
const VIEW_CACHE = 1000
/** How long a subscription's place among a table's rooms is kept for it before it joins. */
const RESERVE_MS = 10_000

/** The `db:` rooms with members in this process, by table, and views of any `db:` room. */
export class TableRooms {
  readonly #catalog: Catalog
  readonly #perReader: boolean
  readonly #byTable = new Map<string, Map<string, TableRoom>>()
  readonly #byName = new Map<string, TableRoom>()
  readonly #views = new Map<string, TableRoom>()
  /** Rooms being subscribed to, by table, until when. */
  readonly #reserved = new Map<string, Map<string, number>>()

  constructor(catalog: Catalog, perReader: boolean) {
    this.#catalog = catalog
    this.#perReader = perReader
  }

  /** The rooms of `table` with members here. */
  of(table: string): Iterable<TableRoom> {
    return this.#byTable.get(table)?.values() ?? []
  }

  /** Whether `room` has members here. */
  has(room: string): boolean {
    return this.#byName.has(room)
  }

  /**
   * Reserves a place for `room` of `table` until it is joined (or for `RESERVE_MS`), when fewer
   * than `max` rooms of the table are in use or reserved; whether it got one.
   */
  reserve(table: string, room: string, max: number): boolean {
    if (this.#byName.has(room)) return true
    const now = Date.now()
    let reserved = this.#reserved.get(table)
    if (reserved === undefined) this.#reserved.set(table, (reserved = new Map()))
    for (const [name, until] of reserved) if (until <= now || this.#byName.has(name)) reserved.delete(name)
    if (!reserved.has(room) && (this.#byTable.get(table)?.size ?? 0) + reserved.size >= max) return false
    reserved.set(room, now + RESERVE_MS)
    return true
  }

  /** `room`'s view, or undefined when it is no valid channel of a published table. */
  view(room: string): TableRoom | undefined {
    const joined = this.#byName.get(room) ?? this.#views.get(room)
    if (joined !== undefined) return joined
    const made = this.#make(room)
    if (made === undefined) return undefined
    if (this.#views.size >= VIEW_CACHE) this.#views.clear()
    this.#views.set(room, made)
    return made
  }

  join(conn: Connection<any>, room: string): void {
    let state = this.#byName.get(room)
    if (state === undefined) {
      state = this.#views.get(room) ?? this.#make(room)
      if (state === undefined) return
      this.#byName.set(room, state)
      let rooms = this.#byTable.get(state.table)
      if (rooms === undefined) this.#byTable.set(state.table, (rooms = new Map()))
      rooms.set(room, state)
    }
    state.members.add(conn)
    this.#reserved.get(state.table)?.delete(room)
  }

  leave(conn: Connection<any>, room: string): void {
    const state = this.#byName.get(room)
    if (state === undefined || !state.members.delete(conn) || state.members.size > 0) return
    this.#byName.delete(room)
    const rooms = this.#byTable.get(state.table)
    rooms?.delete(room)
    if (rooms?.size === 0) this.#byTable.delete(state.table)
  }

  /** Every room with members here. */
  all(): Iterable<TableRoom> {
    return this.#byName.values()
  }

  #make(room: string): TableRoom | undefined {
    const channel = readTableRoom(room)
    if (channel === undefined) return undefined
    const table = `${channel.schema}.${channel.table}`
    const info = this.#catalog.get(table)
    if (info === undefined) return undefined
    let filter: RowFilter | undefined
    try {
      filter = channel.filter === undefined ? undefined : compileFilter(channel.filter, info.columns)
    } catch {
      return undefined
    }
    const columns = channel.columns
    const plain = filter === undefined && columns === undefined
    return {
      name: room,
      table,
      filter,
      columns,
      members: new Set(),
      perReader: this.#perReader,
      project(event, json) {
        if (plain) return json
        const payload = JSON.parse(json) as ChangePayload
        if (filter !== undefined && payload.tooLarge !== true && !filter.matches(payload.new) && !filter.matches(payload.old)) return undefined
        if (filter !== undefined && payload.tooLarge === true && !filter.matches(payload.key)) return undefined
        return JSON.stringify(projectPayload(payload, columns))
      },
    }
  }
}
