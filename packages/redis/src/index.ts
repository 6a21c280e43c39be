/**
 * Scale a realtime server out on Redis: cross-node broadcasts, channel history in Redis Streams,
 * sessions that resume on any node.
 * @module @org/realtime-redis
 */
export { RedisAdapter, redisAdapter, type RedisAdapterEvents, type RedisAdapterStats } from './redis-adapter.js'
export { RedisHistory } from './redis-history.js'
export type { OutageBufferOptions, RedisAdapterOptions, RedisConnectionOptions } from './options.js'
