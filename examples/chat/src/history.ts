/**
 * The latest messages of each room, in memory. Keeps `perRoom` messages per room and at most
 * `rooms` rooms; the room written to least recently is forgotten first, so a client inventing
 * room names cannot grow it without bound.
 */
export class RoomHistory<T> {
  readonly #rooms = new Map<string, T[]>()

  constructor(
    readonly perRoom = 50,
    readonly rooms = 1000,
  ) {}

  /** Appends `item` to `room`, dropping the oldest beyond `perRoom`. */
  add(room: string, item: T): void {
    const items = this.#rooms.get(room) ?? []
    this.#rooms.delete(room) // re-inserted below: Map order is least recently written first
    this.#rooms.set(room, items)
    items.push(item)
    if (items.length > this.perRoom) items.shift()
    if (this.#rooms.size > this.rooms) this.#rooms.delete(this.#rooms.keys().next().value as string)
  }

  /** A copy of `room`'s items, oldest first. */
  get(room: string): T[] {
    return [...(this.#rooms.get(room) ?? [])]
  }
}
