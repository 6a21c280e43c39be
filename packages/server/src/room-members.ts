import type { Connection } from './connection.js'

/** One member of a room. */
export interface RoomMember<TData = Record<string, any>> {
  /** The connection's session id. */
  readonly id: string
  /** The connection's `data`. */
  readonly data: TData
  /** False while its session waits for its client to resume it (the user is "away"). */
  readonly connected: boolean
}

/**
 * Who is in a room, from `rt.in(room)`: the connections in it, those whose transport dropped and
 * whose session waits to be resumed included. Answers are promises, so that a cluster adapter can
 * ask the other nodes; the in-memory adapter answers from this process.
 */
export class RoomMembers<TData = Record<string, any>> {
  readonly #local: () => ReadonlySet<Connection<TData>>
  readonly #cluster: ((room: string) => Promise<RoomMember[]>) | undefined

  /** @internal Obtained from `RealtimeServer.in`. */
  constructor(
    /** The room. */
    readonly room: string,
    local: () => ReadonlySet<Connection<TData>>,
    cluster?: (room: string) => Promise<RoomMember[]>,
  ) {
    this.#local = local
    this.#cluster = cluster
  }

  /** The members on every node (the adapter's answer), or on this one: id, `data`, and whether each is connected. */
  async members(): Promise<Array<RoomMember<TData>>> {
    if (this.#cluster !== undefined) return (await this.#cluster(this.room)) as Array<RoomMember<TData>>
    return Array.from(this.#local(), (conn) => ({ id: conn.id, data: conn.data, connected: conn.connected }))
  }

  /** How many members the room has. */
  async count(): Promise<number> {
    return this.#cluster === undefined ? this.#local().size : (await this.#cluster(this.room)).length
  }
}
