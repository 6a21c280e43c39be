import type { Logger, ServerTransport } from '@org/realtime-core'
import type { Adapter } from './adapter.js'
import type { Authorize } from './hooks.js'
import type { RealtimePlugin } from './plugin.js'
import type { RateLimitOptions } from './rate-limit.js'
import type { Handshake } from './types.js'

/** How sessions and channel messages are kept for clients that reconnect. */
export interface RecoveryOptions {
  /**
   * Milliseconds a dropped session waits for its client to resume it, with its id, `data`, rooms
   * and the frames sent to it. Its `disconnect` event comes when this runs out.
   * @default 120000 (2 minutes)
   */
  windowMs?: number
  /**
   * Messages kept per channel for clients that come back.
   * @default 1000
   */
  historySize?: number
  /**
   * Milliseconds a channel message is kept for clients that come back.
   * @default `windowMs`
   */
  historyAgeMs?: number
  /**
   * Channels whose history is kept at once. Starting the history of one more (a message to it, or
   * a connection joining it) first forgets the history of a channel nobody is in, empty ones
   * first; channels with members are never forgotten for it.
   * @default 10000
   */
  historyChannels?: number
  /**
   * Bytes of channel history kept in all channels together (approximate: each message's event
   * name, room name and data as JSON, plus 64). Past it the oldest messages of any channel go
   * first, and clients that missed them are told `recovered: false`.
   * @default 67108864 (64 MiB)
   */
  historyBytes?: number
  /**
   * Bytes of missed messages one resubscription (one `sub` frame) or one resume may replay
   * (event names and data as JSON). A channel whose missed messages do not fit is not replayed:
   * its client is told `recovered: false` (with `LIMIT_EXCEEDED`) and refetches. Replays are also
   * charged against the connection's `rateLimit.bytesPerSecond`.
   * @default 1048576 (1 MiB)
   */
  replayBytes?: number
  /**
   * Bytes of messages one `channel.history()` page carries at most (event names and data as
   * JSON); a page holds at least one message. Pages are charged against the connection's
   * `rateLimit.bytesPerSecond`.
   * @default 262144 (256 KiB)
   */
  historyPageBytes?: number
  /**
   * Frames to one session (its direct events and the answers to its requests) kept until the
   * client confirms them; a detached session that misses more can no longer be resumed.
   * @default 1000
   */
  sessionFrames?: number
  /**
   * Bytes of those frames (the length of their JSON) kept until the client confirms them. Past
   * it, as past `sessionFrames`, the session can no longer be resumed: a detached one ends at
   * once, an open one ends at its next drop.
   * @default 1048576 (1 MiB)
   */
  sessionBytes?: number
  /**
   * Dropped sessions that may wait for their client at once, on this server. When one more
   * drops, the one that has waited longest ends at once, as if its window had run out. Each
   * address has its own, lower limit: `rateLimit.detachedSessionsPerIp`.
   * @default 10000
   */
  maxDetachedSessions?: number
}

/** Options of {@link RealtimeServer}. */
export interface RealtimeServerOptions<TData> {
  /**
   * Transports to accept connections on.
   * @default [webSocketTransport()]
   */
  transports?: ServerTransport[]
  /**
   * Checks a connecting client and returns the connection's initial `data`. Throw to refuse the
   * connection: the client gets `UNAUTHORIZED`, close code 4401, and does not retry.
   * @default accepts everyone with `data = {}`
   */
  authenticate?: (handshake: Handshake) => TData | Promise<TData>
  /**
   * When the credentials `authenticate` accepted expire (a JWT's `exp`, say), in milliseconds since
   * the epoch or as a `Date`. The client learns it and renews in time (its `auth` function is
   * called again and the result checked by `authenticate`); a connection still on expired
   * credentials is closed with 4401, and reconnects with fresh ones when `auth` is a function.
   * @default undefined: credentials do not expire while connected
   */
  expiresAt?: (data: TData) => number | Date | undefined
  /**
   * Who the user of `data` (what `authenticate` returned) is. A resume and a renewal of
   * credentials (`auth` frame) must name the same user as the credentials the session was opened
   * with: identities are compared as JSON (object keys in any order). A resume with another
   * user's credentials opens a fresh session for that user instead (`welcome.err`
   * `IDENTITY_MISMATCH`); a renewal with them is refused with `IDENTITY_MISMATCH` and changes
   * nothing. Used only with `authenticate`.
   * @default the first of `data.userId`, `data.user`, `data.sub` and `data.id` that is present;
   * without any, all of `data` except its `exp`, `iat` and `nbf` fields
   */
  identity?: (data: TData) => unknown
  /**
   * Decides channel subscriptions and client publishes. Rooms and channels are one thing, so
   * this hook is what keeps a client out of a room the server did not put it in.
   * @default refuses every subscription and publish: the server alone joins connections to rooms
   */
  authorize?: Authorize<TData>
  /**
   * Origins (scheme, host and port, e.g. `https://app.example.com`) whose pages may connect, or a
   * function deciding. Requests from other origins are refused with 403 on every transport; the
   * HTTP transports answer allowed ones with CORS headers. Requests without an `Origin` header
   * (other servers, native apps) are not affected.
   * @default undefined: no check, and no CORS headers (browsers then allow same-origin pages only
   * on the HTTP transports)
   */
  origins?: readonly string[] | ((origin: string) => boolean)
  /**
   * Plugins, in the order their hooks run (see {@link RealtimePlugin}); `rt.use(plugin)` adds more.
   * @default none
   */
  plugins?: ReadonlyArray<RealtimePlugin<TData>>
  /**
   * Delivers broadcasts to the nodes of a cluster, and keeps channel history.
   * @default memoryAdapter(), one process
   */
  adapter?: Adapter
  /**
   * Recovery after a reconnect: sessions a client resumes within `windowMs`, and channel history
   * replayed to clients that resubscribe. `false` turns both off: a drop ends the session and a
   * message sent while a client was away is gone. See `docs/delivery-guarantees.md`.
   * @default { windowMs: 120000, historySize: 1000, historyAgeMs: windowMs, historyChannels: 10000, historyBytes: 67108864,
   * replayBytes: 1048576, historyPageBytes: 262144, sessionFrames: 1000, sessionBytes: 1048576, maxDetachedSessions: 10000 }
   */
  recovery?: RecoveryOptions | false
  /**
   * Milliseconds between heartbeats sent to each client.
   * @default 25000
   */
  pingIntervalMs?: number
  /**
   * Milliseconds to wait for any frame after a heartbeat before dropping the connection as dead.
   * @default 20000
   */
  pingTimeoutMs?: number
  /**
   * Milliseconds a new connection has to complete its handshake.
   * @default 10000
   */
  handshakeTimeoutMs?: number
  /**
   * Largest frame accepted from a client, in bytes.
   * @default 1048576 (1 MiB)
   */
  maxPayload?: number
  /**
   * Default timeout of `emitWithAck`, in milliseconds.
   * @default 10000
   */
  ackTimeoutMs?: number
  /**
   * Milliseconds `close()` waits for clients to acknowledge the close before dropping them.
   * @default 1000
   */
  closeTimeoutMs?: number
  /**
   * Which peers are proxies whose `X-Forwarded-For` header is believed, so that the client's own
   * address, not the proxy's, is `handshake.remoteAddress` and what every per-address limit
   * (`connectionsPerIp`, `handshakesPerSecondPerIp`, `detachedSessionsPerIp`) counts. Either the
   * number of proxies in front of the server (`1`: the peer is a proxy, and the rightmost entry of
   * the header is the client), or the addresses and CIDR ranges of the proxies
   * (`['10.0.0.0/8', '127.0.0.1']`: entries are read from the right while the address they came
   * from is in the list). A request from an untrusted peer is counted under the peer's address,
   * whatever its header says. At most the rightmost 32 entries and 1024 characters of the header
   * are read; a malformed entry stops the reading at the last address read. In `handleRequest`
   * without a `remoteAddress`, only a hop count trusts the unknown peer. Never set it for a server
   * that clients can reach without the proxy: they could then choose their address.
   * @default 0: no proxy is trusted, and `X-Forwarded-For` is ignored
   */
  trustProxy?: number | readonly string[]
  /**
   * Rate and count limits, or `false` to turn them all off (benchmarks, trusted internal clients).
   * @default on, with the defaults listed on {@link RateLimitOptions}
   */
  rateLimit?: RateLimitOptions | false
  /**
   * Bytes that may wait in a connection's send queue. A client that reads slower than the server
   * sends is disconnected past it (`SLOW_CONSUMER`, close code 4503) instead of growing server memory.
   * @default 4194304 (4 MiB)
   */
  maxBufferedBytes?: number
  /**
   * Where diagnostics go: a `{ debug, info, warn, error }` object (`console`, pino, winston), or
   * `false` for nowhere. Warnings are slow consumers and the like; errors are handlers, hooks and
   * `authorize` functions that threw something other than a `RealtimeError`, which clients see only
   * as `HANDLER_ERROR`.
   * @default warnings and errors, with their stack, to standard error
   */
  logger?: Logger | false
}
