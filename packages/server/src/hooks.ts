/**
 * The app's hooks into what its clients do: `authorize`, event middleware and connection
 * middleware, with what they are given.
 */
import type { ChannelOptions } from '@org/realtime-core'
import type { Connection } from './connection.js'
import type { ChannelAction } from './types.js'

/**
 * Decides whether `conn` may `action` on `channel`. Return `false` or throw to refuse: the client
 * gets `FORBIDDEN` (or the code of a thrown `RealtimeError`) and nothing of the channel.
 * `options` are the subscription options the client gave (`client.channel(name, options)`),
 * already checked against the protocol's bounds; undefined when it gave none. A subscription with
 * options joins a room of its own, `channelKey(channel, options)`: options never widen what the
 * plain channel carries, but refuse those your app does not expect.
 */
export type Authorize<TData> = (conn: Connection<TData>, channel: string, action: ChannelAction, options?: ChannelOptions) => boolean | Promise<boolean>

/** Incoming event as seen by event middleware. `data` may be replaced. */
export interface IncomingEvent<TData> {
  readonly conn: Connection<TData>
  readonly event: string
  /** The channel of a client publish; absent for events sent to the server. */
  readonly channel: string | undefined
  data: unknown
}

/** Runs around every incoming event; throw to refuse it, call `next()` to go on. */
export type EventMiddleware<TData> = (event: IncomingEvent<TData>, next: () => Promise<void>) => Promise<void> | void

/** Runs for each new connection before `connection` is emitted; throw to refuse it. */
export type ConnectionMiddleware<TData> = (conn: Connection<TData>) => Promise<void> | void
