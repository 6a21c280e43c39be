/**
 * How a name stands in a room: `here` (at least one of its connections is attached), `away` (every
 * one of its sessions waits for its client to resume it), or `gone`.
 */
export type Presence = 'here' | 'away' | 'gone'

/** The room broadcasts that tell the others how a name's presence changed. */
export type PresenceEvent = 'user-joined' | 'user-left' | 'user-away' | 'user-back'

/**
 * Who is in each room, by name over all their connections: the same name in two tabs is one
 * member, who joins with the first tab, leaves with the last, and is away only when every tab is.
 */
export class RoomPresence {
  /** room → name → connection id → whether that connection is attached (not waiting to be resumed). */
  readonly #rooms = new Map<string, Map<string, Map<string, boolean>>>()

  /**
   * Records connection `id` of `name` in `room` as attached (`true`), waiting to be resumed
   * (`false`) or out of the room (`undefined`), and returns the events that announce the change
   * of the name's presence: none when another connection of the name keeps it as it was.
   */
  set(room: string, name: string, id: string, attached: boolean | undefined): PresenceEvent[] {
    const before = this.of(room, name)
    const names = this.#rooms.get(room) ?? new Map<string, Map<string, boolean>>()
    const connections = names.get(name) ?? new Map<string, boolean>()
    if (attached === undefined) connections.delete(id)
    else connections.set(id, attached)
    if (connections.size > 0) names.set(name, connections)
    else names.delete(name)
    if (names.size > 0) this.#rooms.set(room, names)
    else this.#rooms.delete(room)
    return announce(before, this.of(room, name))
  }

  /** The presence of `name` in `room`. */
  of(room: string, name: string): Presence {
    const connections = this.#rooms.get(room)?.get(name)
    if (connections === undefined) return 'gone'
    for (const attached of connections.values()) if (attached) return 'here'
    return 'away'
  }
}

function announce(before: Presence, after: Presence): PresenceEvent[] {
  if (before === after) return []
  if (after === 'gone') return ['user-left']
  if (before === 'gone') return after === 'here' ? ['user-joined'] : ['user-joined', 'user-away']
  return [after === 'away' ? 'user-away' : 'user-back']
}
