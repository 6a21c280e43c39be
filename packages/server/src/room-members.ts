/** One member of a room. */
export interface RoomMember<TData = Record<string, any>> {
  /** The connection's session id. */
  readonly id: string
  /** The connection's `data`. */
  readonly data: TData
  /** False while its session waits for its client to resume it (the user is "away"). */
  readonly connected: boolean
}

type Cluster = (room: string) => Promise<RoomMember[]>

/** This node's members of a room: each holds the connection it stands for. */
type Local<TData> = () => ReadonlySet<{ readonly conn: RoomMember<TData> }>

let makeMembers: <TData>(room: string, local: Local<TData>, cluster: Cluster | undefined) => RoomMembers<TData>

/**
 * Who is in a room, from `rt.in(room)`: the connections in it, those whose transport dropped and
 * whose session waits to be resumed included. Answers are promises, so that a cluster adapter can
 * ask the other nodes; the in-memory adapter answers from this process.
 */
export class RoomMembers<TData = Record<string, any>> {
  readonly #local: Local<TData>
  readonly #cluster: ((room: string) => Promise<RoomMember[]>) | undefined

  static {
    makeMembers = (room, local, cluster) => new RoomMembers(room, local, cluster)
  }

  /** Obtained from `RealtimeServer.in`. */
  private constructor(
    /** The room. */
    readonly room: string,
    local: Local<TData>,
    cluster?: (room: string) => Promise<RoomMember[]>,
  ) {
    this.#local = local
    this.#cluster = cluster
  }

  /** The members on every node (the adapter's answer), or on this one: id, `data`, and whether each is connected. */
  async members(): Promise<Array<RoomMember<TData>>> {
    if (this.#cluster !== undefined) return (await this.#cluster(this.room)) as Array<RoomMember<TData>>
    return localMembers(this.#local())
  }

  /** How many members the room has. */
  async count(): Promise<number> {
    return this.#cluster === undefined ? this.#local().size : (await this.#cluster(this.room)).length
  }
}

/** The members `local` holds, as {@link RoomMember}s; not exported from the package. */
export function localMembers<TData>(local: ReadonlySet<{ readonly conn: RoomMember<TData> }>): Array<RoomMember<TData>> {
  return Array.from(local, ({ conn }) => ({ id: conn.id, data: conn.data, connected: conn.connected }))
}

/**
 * The members of `room`: this node's (`local`), or every node's when the adapter answers for the
 * cluster (`cluster`); not exported from the package.
 */
export function roomMembers<TData>(room: string, local: Local<TData>, cluster?: Cluster): RoomMembers<TData> {
  return makeMembers(room, local, cluster)
}
