/** A set of the last `capacity` numbers added: the oldest is forgotten when one more comes. */
export class RecentSet {
  readonly #items = new Set<number>()

  constructor(readonly capacity: number) {}

  add(value: number): void {
    if (this.#items.has(value)) return
    this.#items.add(value)
    if (this.#items.size > this.capacity) this.#items.delete(this.#items.values().next().value as number)
  }

  has(value: number): boolean {
    return this.#items.has(value)
  }
}
