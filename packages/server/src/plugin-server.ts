import type { DefaultEvents, EventArgs, EventMap, EventName } from '@org/realtime-core'
import type { BroadcastOperator } from './broadcast.js'
import type { Connection } from './connection.js'
import type { Authorize, EventMiddleware } from './hooks.js'
import type { RoomMembers } from './room-members.js'
import type { RealtimeServerEvents } from './server-events.js'

/**
 * What a plugin's `setup(rt)` receives: the `RealtimeServer` it was added to, as the part of it a
 * plugin works with (the server implements this, so the two cannot drift apart).
 */
export interface PluginServer<
  TData = Record<string, any>,
  ListenEvents extends EventMap<ListenEvents> = DefaultEvents,
  EmitEvents extends EventMap<EmitEvents> = DefaultEvents,
> {
  /**
   * The app's `authorize` (the option; the default refuses every channel): a plugin composes its
   * own decisions with it, in its `authorize` hook or for requests of its own.
   */
  readonly authorize: Authorize<TData>
  /** Open connections on this node, by id. */
  readonly connections: ReadonlyMap<string, Connection<TData, ListenEvents, EmitEvents>>
  /** Adds `listener` for a server event (`connection`, `join`, `leave`, `detached`, …). */
  on<K extends keyof RealtimeServerEvents<TData, ListenEvents, EmitEvents> & string>(
    event: K,
    listener: RealtimeServerEvents<TData, ListenEvents, EmitEvents>[K],
  ): this
  /** Adds `listener` for the next `event` only. */
  once<K extends keyof RealtimeServerEvents<TData, ListenEvents, EmitEvents> & string>(
    event: K,
    listener: RealtimeServerEvents<TData, ListenEvents, EmitEvents>[K],
  ): this
  /** Removes `listener`, or every listener of `event`. */
  off<K extends keyof RealtimeServerEvents<TData, ListenEvents, EmitEvents> & string>(
    event: K,
    listener?: RealtimeServerEvents<TData, ListenEvents, EmitEvents>[K],
  ): this
  /** Who is in `room`, on every node. */
  in(room: string): RoomMembers<TData>
  /** Adds event middleware, run for every event and publish from clients. */
  useEvent(middleware: EventMiddleware<TData>): this
  /** Targets `room` (or several) for a broadcast, on every node. */
  to(room: string | readonly string[]): BroadcastOperator<EmitEvents>
  /** Targets every connection except the members of `room` or the connection with that id. */
  except(roomOrId: string | readonly string[]): BroadcastOperator<EmitEvents>
  /** Sends `event` to every connection on every node. */
  emit<E extends EventName<EmitEvents>>(event: E, ...args: EventArgs<EmitEvents, E>): Promise<readonly number[]>
  /** Broadcasts to this node's connections only. */
  readonly local: BroadcastOperator<EmitEvents>
}
