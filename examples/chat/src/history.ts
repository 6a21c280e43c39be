/** Options of {@link RoomHistory}. */
export interface RoomHistoryOptions {
  /**
   * Messages kept per room; older ones are dropped.
   * @default 50
   */
  perRoom?: number
  /**
   * Rooms kept; the room written to least recently is forgotten first, so a client inventing room
   * names cannot grow the history (or its file) without bound.
   * @default 100
   */
  rooms?: number
  /** Called after every change, e.g. to save the history (see `HistoryFile`). */
  onChange?: () => void
}

/**
 * The latest messages of each room, in memory: at most `perRoom` messages in each of at most
 * `rooms` rooms. `toJSON()` and `restore()` carry it across a restart.
 */
export class RoomHistory<T> {
  readonly perRoom: number
  readonly rooms: number
  readonly #onChange: (() => void) | undefined
  /** In the order written, least recently first. */
  readonly #rooms = new Map<string, T[]>()

  constructor({ perRoom = 50, rooms = 100, onChange }: RoomHistoryOptions = {}) {
    this.perRoom = perRoom
    this.rooms = rooms
    this.#onChange = onChange
  }

  /** Appends `item` to `room`, dropping the oldest beyond `perRoom`. */
  add(room: string, item: T): void {
    const items = this.#rooms.get(room) ?? []
    items.push(item)
    if (items.length > this.perRoom) items.shift()
    this.#put(room, items)
    this.#onChange?.()
  }

  /** A copy of `room`'s items, oldest first. */
  get(room: string): T[] {
    return [...(this.#rooms.get(room) ?? [])]
  }

  /** Every room's items, the room written to least recently first: what `restore` takes back. */
  toJSON(): Record<string, T[]> {
    return Object.fromEntries(this.#rooms)
  }

  /**
   * Adds the rooms of a saved `toJSON()`, checking what it holds: anything that is not an object
   * of arrays is ignored, and so is each item `isItem` refuses; the bounds apply as to `add`.
   */
  restore(saved: unknown, isItem: (item: unknown) => item is T): void {
    if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) return
    for (const [room, items] of Object.entries(saved)) {
      if (!Array.isArray(items)) continue
      const kept = items.filter(isItem).slice(-this.perRoom)
      if (kept.length > 0) this.#put(room, kept)
    }
  }

  #put(room: string, items: T[]): void {
    this.#rooms.delete(room) // re-inserted last: Map order is least recently written first
    this.#rooms.set(room, items)
    if (this.#rooms.size > this.rooms) this.#rooms.delete(this.#rooms.keys().next().value as string)
  }
}
