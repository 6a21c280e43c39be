import type { DefaultEvents, EventMap } from '@org/realtime-core'
import type { Connection } from './connection.js'
import type { DisconnectInfo, JoinReason, LeaveReason } from './types.js'

/** Events of `RealtimeServer`; its type parameters type the connections they carry. */
export type RealtimeServerEvents<
  TData,
  ListenEvents extends EventMap<ListenEvents> = DefaultEvents,
  EmitEvents extends EventMap<EmitEvents> = DefaultEvents,
> = {
  /** A client completed its handshake. */
  connection: (conn: Connection<TData, ListenEvents, EmitEvents>) => void
  /**
   * The transport of a resumable session dropped: the session waits `recovery.windowMs` for its
   * client, still in its rooms. Show the user as "away"; `disconnect` follows if it does not come back.
   */
  detached: (conn: Connection<TData, ListenEvents, EmitEvents>, info: DisconnectInfo) => void
  /** A detached session was resumed by its client. */
  resumed: (conn: Connection<TData, ListenEvents, EmitEvents>) => void
  /** A session ended: at once for a deliberate close, or when a detached session was not resumed in time. */
  disconnect: (conn: Connection<TData, ListenEvents, EmitEvents>, info: DisconnectInfo) => void
  /**
   * A session moved to another node of the cluster, where its client resumed it: it left this
   * node's rooms (`leave` with reason `'moved'`) without ending, and `connection` fires for it
   * there with `conn.movedIn`. Only with an adapter that moves sessions (`Adapter.takeSession`).
   */
  moved: (conn: Connection<TData, ListenEvents, EmitEvents>) => void
  /** A connection joined a room: by `conn.join()` or by subscribing. */
  join: (conn: Connection<TData, ListenEvents, EmitEvents>, room: string, reason: JoinReason) => void
  /** A connection left a room: by `conn.leave()`, by unsubscribing, or because its session ended. */
  leave: (conn: Connection<TData, ListenEvents, EmitEvents>, room: string, reason: LeaveReason) => void
}
