import type { Authorize, Connection, Logger } from '@org/realtime-server'

/** Options of the server plugin, {@link presence}. */
export interface PresenceServerOptions<TData = Record<string, any>> {
  /**
   * The presence key of a connection: who it is, from its authenticated `data` (what
   * `authenticate` returned), never from the client. Connections with one key (a user's tabs and
   * devices) are one member with several metas.
   * @default the first of `data.userId`, `data.user`, `data.sub` and `data.id` that is a string or
   * a number; without any, the connection's id (every connection its own member)
   */
  key?: (conn: Connection<TData>) => string
  /**
   * Who may see the presence of `channel` (subscribe to `presence:<channel>`). `app` is the
   * server's `authorize`.
   * @default whoever `app` lets subscribe to `channel` itself
   */
  authorize?: (conn: Connection<TData>, channel: string, app: Authorize<TData>) => boolean | Promise<boolean>
  /**
   * Who may track themselves in `channel` (besides seeing its presence, which tracking requires).
   * Return false or throw to refuse: the client's `track` is rejected with `FORBIDDEN` (or the
   * code thrown).
   * @default the server's `authorize(conn, 'presence:<channel>', 'publish')`: the app allows
   * tracking as it would a publish on the presence channel
   */
  canTrack?: (conn: Connection<TData>, channel: string) => boolean | Promise<boolean>
  /**
   * Milliseconds between two diffs of this node: a change goes out at once when no diff went out
   * in the last `batchMs`; the changes that follow within it are gathered into one diff per
   * channel, where a meta changed several times goes once, with its last value (last write wins).
   * @default 50
   */
  batchMs?: number
  /**
   * Largest meta a connection may track, in bytes of JSON (UTF-8); a larger one is refused with
   * `PAYLOAD_TOO_LARGE`.
   * @default 1024
   */
  maxMetaBytes?: number
  /**
   * Most metas (connections) one key may track in one channel on one node: a user's tabs. One
   * more is refused with `LIMIT_EXCEEDED`.
   * @default 32
   */
  maxMetasPerKey?: number
  /**
   * Most metas one channel holds, on every node together. One more is refused with `LIMIT_EXCEEDED`.
   * @default 50000
   */
  maxMetasPerChannel?: number
  /**
   * How often one connection may fetch a channel's presence state (`presence:sync`, sent by the
   * client when it subscribes, after a reconnect and after a gap): the sustained rate per second,
   * and the burst. Past it the request is refused with `RATE_LIMITED` and a `retryAfterMs`, which
   * the bundled client waits for.
   * @default { perSecond: 2, burst: 10 }
   */
  syncRate?: {
    /** Fetches per second, sustained. */
    perSecond: number
    /** Fetches at once. */
    burst: number
  }
  /**
   * In a cluster (see `cluster`), milliseconds between this node's heartbeats. A node that is not
   * heard from for three heartbeats (a crash, a `kill -9`, a lost network) has its members removed
   * on the other nodes, within three heartbeats of its last one.
   * @default 5000
   */
  heartbeatMs?: number
  /**
   * Where the plugin reports a malformed message from another node of the cluster.
   * @default nowhere
   */
  logger?: Logger
}
