/**
 * Typed event maps, shared by the server and the client so that one declaration types both ends.
 *
 * An event map names the events one side sends; each entry is the signature of the listener that
 * receives it on the other side, `(data) => answer`: `data` is what `emit` carries, `answer` what
 * the listener returns to an `emitWithAck` (`void` when the event is never acknowledged).
 *
 * @example
 * interface ServerEvents {
 *   'new-message': (message: { from: string; text: string }) => void
 * }
 * interface ClientEvents {
 *   'send-message': (draft: { text: string }) => { id: string }
 *   ping: () => 'pong'
 * }
 * // server: new RealtimeServer<Data, ClientEvents, ServerEvents>(…); client: new RealtimeClient<ServerEvents, ClientEvents>(url)
 */

/**
 * What an event map must look like: every entry a function of at most one parameter. Declare maps
 * as interfaces or type aliases; this type only constrains them.
 */
export type EventMap<Events> = { [E in keyof Events]: (data: never) => unknown }

/**
 * The map of untyped use, the default of every event-map parameter: any event name, data of any
 * type. Listeners receive `unknown` and may declare the type they expect instead.
 */
export interface DefaultEvents {
  [event: string]: (data?: unknown) => unknown
}

/** The names of the events of `Events`. */
export type EventName<Events> = keyof Events & string

/** The data event `E` of `Events` carries: its listener's parameter, `undefined` when it takes none. */
export type EventData<Events, E extends keyof Events> = Events[E] extends (...args: infer A) => unknown ? (A extends [] ? undefined : A[0]) : never

/** What the listener of event `E` answers an `emitWithAck` with, promises unwrapped. */
export type EventAnswer<Events, E extends keyof Events> = Events[E] extends (...args: never) => infer R ? Awaited<R> : never

/** What a listener answering with `R` returns: nothing when `R` is `void`, else `R` or a promise of it. */
export type ListenerResult<R> = [R] extends [void] ? void : R | PromiseLike<R>

/** The arguments after the event name that carry its data: optional when the data may be undefined. */
export type EventArgs<Events, E extends keyof Events> =
  undefined extends EventData<Events, E> ? [data?: EventData<Events, E>] : [data: EventData<Events, E>]
