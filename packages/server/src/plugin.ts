import type { ChannelOptions } from '@org/realtime-core'
import type { Connection } from './connection.js'
import type { HistoryStore } from './history.js'
import type { Authorize, IncomingEvent } from './hooks.js'
import type { PluginServer } from './plugin-server.js'
import type { ChannelAction, DisconnectInfo, JoinReason, LeaveReason } from './types.js'

/**
 * A server plugin: what presence, collaborative documents, database changes and your own
 * extensions are built from, written against the server's public API. Plugins are called in the
 * order they were added (`plugins` option, then `rt.use(plugin)`), before the app's own listeners
 * of the same moment. Every hook is optional.
 *
 * Hooks named `before…` may refuse what they guard by throwing (or rejecting): a `RealtimeError`
 * reaches the client with its code and message, anything else is logged with the plugin's name and
 * reaches it as `HANDLER_ERROR`. Only that action is refused. The other hooks observe: what they
 * throw is logged and changes nothing.
 *
 * @example
 * const lastSeen: RealtimePlugin = {
 *   name: 'last-seen',
 *   onDisconnect: (conn) => seen.set(conn.data.userId, Date.now()),
 * }
 * new RealtimeServer({ plugins: [lastSeen] })
 */
export interface RealtimePlugin<TData = Record<string, any>> {
  /** Names the plugin in logs and errors. */
  readonly name: string
  /**
   * Channel-name prefixes this plugin answers for, e.g. `['presence:']`: their subscriptions and
   * publishes are authorized by its `authorize`. Two plugins may not claim overlapping prefixes.
   * @default none
   */
  readonly namespaces?: readonly string[]
  /**
   * Decides subscriptions to and publishes on the channels of its `namespaces`, in place of the
   * app's `authorize`, which it receives as `app` to compose with (e.g. allow `presence:room:1`
   * to whoever the app lets subscribe to `room:1`). Without it, the app's `authorize` decides.
   */
  authorize?(conn: Connection<TData>, channel: string, action: ChannelAction, app: Authorize<TData>, options?: ChannelOptions): boolean | Promise<boolean>
  /**
   * Whether the channels of its `namespaces` take subscription options (`client.channel(name,
   * options)`): they then reach its `authorize` and `beforeSubscribe`, and each distinct set of
   * options is a room of its own, `channelKey(name, options)`, which its `onJoin`, `onLeave` and
   * `after…` hooks see. Without it, a subscription with options to its namespaces is refused
   * with `BAD_REQUEST`.
   * @default false
   */
  readonly channelOptions?: boolean
  /**
   * Where the channels of its `namespaces` keep their history, in place of the adapter's: offsets,
   * recovery after a reconnect and `channel.history()` come from it (a database's change log,
   * say). Broadcasts to those channels are appended to it.
   * @default the adapter's history
   */
  readonly history?: HistoryStore
  /** Called once, when the plugin is added to `rt` (the `RealtimeServer`). */
  setup?(rt: PluginServer<TData>): void
  /** A client completed its handshake (before the server's `connection` event). */
  onConnection?(conn: Connection<TData>): void
  /** The transport of a resumable session dropped; the session waits for its client (it is "away"). */
  onDetached?(conn: Connection<TData>, info: DisconnectInfo): void
  /** A detached session was resumed by its client. */
  onResumed?(conn: Connection<TData>): void
  /** The session ended (before the server's `disconnect` event): it leaves its rooms right after. */
  onDisconnect?(conn: Connection<TData>, info: DisconnectInfo): void
  /**
   * The session moved to another node of the cluster, where its client resumed it (after its
   * rooms' `onLeave` with reason `'moved'`): it did not end, and lives on there, where
   * `onConnection` runs for it with `conn.movedIn`.
   */
  onMoved?(conn: Connection<TData>): void
  /** `conn` joined `room`. */
  onJoin?(conn: Connection<TData>, room: string, reason: JoinReason): void
  /** `conn` left `room`. */
  onLeave?(conn: Connection<TData>, room: string, reason: LeaveReason): void
  /**
   * A client asks to subscribe to `channel`, which `authorize` allowed: throw to refuse.
   * `channel` is the room it would join: its channel key (see `channelOptions`), whose
   * `options` come parsed.
   */
  beforeSubscribe?(conn: Connection<TData>, channel: string, options?: ChannelOptions): void | Promise<void>
  /** A client subscribed to `channel` (it joined the room, and what it missed was replayed). */
  afterSubscribe?(conn: Connection<TData>, channel: string): void
  /** A client asks to unsubscribe from `channel`: throw to refuse (it stays subscribed). */
  beforeUnsubscribe?(conn: Connection<TData>, channel: string): void | Promise<void>
  /** A client unsubscribed from `channel`. */
  afterUnsubscribe?(conn: Connection<TData>, channel: string): void
  /**
   * An event or publish arrived from a client: throw to refuse it, or replace `event.data`. Runs
   * before the app's event middleware and handler (a publish: before it is authorized and sent).
   */
  beforeEvent?(event: IncomingEvent<TData>): void | Promise<void>
  /** The server is closing, after its connections were closed. */
  onClose?(): void | Promise<void>
}
