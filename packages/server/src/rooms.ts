/** Which connections are in which room, on this node. */
export class RoomRegistry<TMember> {
  readonly #rooms = new Map<string, Set<TMember>>()

  /** Adds `member` to `room`; returns false when it was already there. */
  add(room: string, member: TMember): boolean {
    let members = this.#rooms.get(room)
    if (members === undefined) {
      members = new Set()
      this.#rooms.set(room, members)
    }
    if (members.has(member)) return false
    members.add(member)
    return true
  }

  /** Removes `member` from `room`; returns false when it was not there. */
  remove(room: string, member: TMember): boolean {
    const members = this.#rooms.get(room)
    if (members === undefined || !members.delete(member)) return false
    if (members.size === 0) this.#rooms.delete(room)
    return true
  }

  /** Members of `room`, empty when the room does not exist. */
  members(room: string): ReadonlySet<TMember> {
    return this.#rooms.get(room) ?? emptySet
  }
}

const emptySet: ReadonlySet<never> = new Set()
