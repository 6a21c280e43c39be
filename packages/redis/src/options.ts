import type { Logger } from '@org/realtime-server'
import type { Redis, RedisOptions } from 'ioredis'

/** Where the Redis server is, shared by {@link RedisAdapterOptions} and the emitter's options. */
export interface RedisConnectionOptions {
  /**
   * The Redis server, as a `redis://` or `rediss://` URL (`redis://user:password@host:6379/0`).
   * Ignored when `redis` is given.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string
  /**
   * Options for the ioredis clients made from `url` (TLS, timeouts, Sentinel). The package sets
   * `lazyConnect`, `enableOfflineQueue: false`, `maxRetriesPerRequest: 0` and
   * `autoResendUnfulfilledCommands: false` itself: commands fail at once while Redis is away, and
   * the adapter buffers what must survive (see `outageBuffer`).
   */
  redisOptions?: RedisOptions
  /**
   * Prefix of every key and channel this app uses. Apps sharing one Redis server must use
   * different prefixes: each hears only its own channels.
   * @default 'rt:'
   */
  prefix?: string
  /**
   * Milliseconds to wait for Redis at start; past them (or when Redis refuses the connection)
   * starting fails with a clear error.
   * @default 10000
   */
  connectTimeoutMs?: number
  /**
   * Where warnings (Redis unreachable, a foreign message ignored) and errors go.
   * `false` silences them.
   * @default warnings and errors to stderr
   */
  logger?: Logger | false
}

/** Bytes and messages kept for Redis while it is unreachable. */
export interface OutageBufferOptions {
  /**
   * Broadcasts kept while Redis is unreachable, sent to it (so to the other nodes and into the
   * history) once it is back. Past it the oldest are dropped, and reported.
   * @default 10000
   */
  messages?: number
  /**
   * Bytes of those broadcasts (event names and data as JSON).
   * @default 16777216 (16 MiB)
   */
  bytes?: number
}

/** Options of {@link redisAdapter}. */
export interface RedisAdapterOptions extends RedisConnectionOptions {
  /**
   * Use sharded pub/sub (`SSUBSCRIBE`/`SPUBLISH`, Redis 7 and later): a room's messages go only
   * through the shard that holds the room. `'auto'` uses it when the server is Redis 7 or later.
   * @default 'auto'
   */
  sharded?: boolean | 'auto'
  /** What is kept while Redis is unreachable. */
  outageBuffer?: OutageBufferOptions
  /**
   * The last messages of each followed channel kept on this node, to answer the replays of many
   * clients resuming at once without asking Redis (one read per channel per node instead of one
   * per client).
   * @default 100
   */
  tailSize?: number
  /**
   * Messages of one channel kept while this node catches up with Redis after a gap (a Redis
   * restart, a slow read); past it they are dropped and read from the channel's stream instead.
   * @default 10000
   */
  pendingLimit?: number
  /**
   * Most messages one read of a channel's stream returns while catching up; reads repeat until
   * the node has caught up.
   * @default 500
   */
  fillBatch?: number
  /**
   * Milliseconds a node keeps following a channel (its pub/sub subscription) after its last
   * member on this node left it, so that a client that leaves and comes back costs no new
   * subscription.
   * @default 2000
   */
  lingerMs?: number
  /**
   * Rooms every node follows whether or not it has members in them: rooms that plugins use to
   * talk between nodes, such as presence's `presence:#cluster` (its heartbeats and diffs). Every
   * other room is followed only by the nodes with members in it.
   * @default ['presence:#cluster']
   */
  followAlways?: readonly string[]
  /**
   * Milliseconds a session lookup (a client resuming on another node than its own) waits for
   * the node that holds the session.
   * @default 2000
   */
  sessionLookupMs?: number
}

/** The ioredis clients to use. */
export function clientOptions(options: RedisConnectionOptions): RedisOptions {
  return {
    ...options.redisOptions,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: options.redisOptions?.retryStrategy ?? ((attempt: number) => Math.min(50 * attempt, 1000)),
  }
}

/** A client of `options.url`, or throws a clear error for a URL that is not a Redis one. */
export type RedisFactory = () => Redis
