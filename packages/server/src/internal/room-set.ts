/**
 * The rooms a connection is in. Most connections are in one room or none, and a `Set` costs ~170
 * bytes even with one entry (its hash table is made for four): this keeps a single room in a field
 * and makes a `Set` from the second. Its iteration, rare (a connection ending or moving), makes a
 * `Set` for the single room when it has one.
 */
export class RoomSet implements ReadonlySet<string> {
  /** The one room, while there is at most one. */
  #one: string | undefined
  /** Every room, from the second on. */
  #many: Set<string> | undefined

  get size(): number {
    return this.#many !== undefined ? this.#many.size : this.#one === undefined ? 0 : 1
  }

  has(room: string): boolean {
    return this.#many !== undefined ? this.#many.has(room) : this.#one === room
  }

  add(room: string): this {
    if (this.#many !== undefined) this.#many.add(room)
    else if (this.#one === undefined || this.#one === room) this.#one = room
    else {
      this.#many = new Set([this.#one, room])
      this.#one = undefined
    }
    return this
  }

  delete(room: string): boolean {
    if (this.#many !== undefined) return this.#many.delete(room)
    if (this.#one !== room) return false
    this.#one = undefined
    return true
  }

  clear(): void {
    this.#one = undefined
    this.#many = undefined
  }

  forEach(callback: (room: string, same: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const room of this.all()) callback.call(thisArg, room, room, this)
  }

  entries(): SetIterator<[string, string]> {
    return this.all().entries()
  }

  keys(): SetIterator<string> {
    return this.all().values()
  }

  values(): SetIterator<string> {
    return this.all().values()
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.all().values()
  }

  /** The rooms as a `Set`: `#many`, or one made for the single room. (`private` rather than `#`: a `#` method costs each instance a field.) */
  private all(): ReadonlySet<string> {
    return this.#many ?? new Set(this.#one === undefined ? [] : [this.#one])
  }
}
