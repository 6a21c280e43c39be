/**
 * Publish to rooms and channels from a process that serves no clients (a worker, a cron job):
 * the messages reach every node's members, with offsets and history, as `rt.to(room).emit()` does.
 * @module @org/realtime-redis/emitter
 */
import { randomBytes } from 'node:crypto'
import { encodeData } from '@org/realtime-core'
import type { Redis } from 'ioredis'
import { appendToRoom, finiteOrZero, supportsSharded, type StreamLimits } from './append.js'
import { connectRedis, createRedis, DEFAULT_URL, quit } from './connect.js'
import { KeySpace } from './keys.js'
import type { RedisConnectionOptions } from './options.js'
import { withScripts, type ScriptedRedis } from './scripts.js'
import { messageText, packetText, type WirePacket } from './wire.js'

/** Options of {@link createRedisEmitter}. */
export interface RedisEmitterOptions extends Omit<RedisConnectionOptions, 'logger'> {
  /**
   * How much history the rooms keep: the servers' `recovery.historySize` and
   * `recovery.historyAgeMs`, which must be the same on every node and here. `false` when the
   * servers run with `recovery: false` (no offsets, no history).
   * @default { size: 1000, ageMs: 120000 } (the servers' defaults)
   */
  history?: { size?: number; ageMs?: number } | false
  /**
   * Sharded pub/sub, as the servers' adapter uses it (`sharded` of `redisAdapter`).
   * @default 'auto'
   */
  sharded?: boolean | 'auto'
}

/**
 * Publishes broadcasts through Redis to every node of a cluster, from a process without clients.
 * `to(room)` and `except(roomOrId)` target as on the server; `emit` resolves with the offsets the
 * event got in each room (empty for a broadcast to everyone, or without history). Made by
 * {@link createRedisEmitter}; `close()` when done.
 */
export class RedisEmitter {
  readonly #redis: ScriptedRedis
  readonly #keys: KeySpace
  readonly #limits: StreamLimits | undefined
  readonly #sharded: boolean
  readonly #rooms: readonly string[]
  readonly #except: readonly string[]
  readonly #id: string
  readonly #seq: { value: number }

  /** @internal Use {@link createRedisEmitter}. */
  constructor(
    state: { redis: ScriptedRedis; keys: KeySpace; limits: StreamLimits | undefined; sharded: boolean; id: string; seq: { value: number } },
    rooms: readonly string[] = [],
    except: readonly string[] = [],
  ) {
    this.#redis = state.redis
    this.#keys = state.keys
    this.#limits = state.limits
    this.#sharded = state.sharded
    this.#id = state.id
    this.#seq = state.seq
    this.#rooms = rooms
    this.#except = except
  }

  /** Adds `room` (or several) to the targets; with none, `emit` reaches every connection. */
  to(room: string | readonly string[]): RedisEmitter {
    return new RedisEmitter(this.#state(), [...this.#rooms, ...asList(room)], this.#except)
  }

  /** Leaves out the members of `room` (or several), or connections by id. */
  except(roomOrId: string | readonly string[]): RedisEmitter {
    return new RedisEmitter(this.#state(), this.#rooms, [...this.#except, ...asList(roomOrId)])
  }

  /**
   * Sends `event` with `data` to every targeted connection on every node, and keeps it in each
   * room's history. Resolves with its offset in each room, in order.
   * @throws RealtimeError `INVALID_PAYLOAD` when `data` cannot be encoded as JSON; the ioredis
   * error when Redis is unreachable (nothing is buffered here: retry, or let it fail).
   */
  async emit(event: string, data?: unknown): Promise<readonly number[]> {
    const packet: WirePacket = { event, json: encodeData(data), rooms: this.#rooms, except: this.#except, origin: this.#id, flags: 0, seq: ++this.#seq.value }
    const limits = this.#limits
    if (this.#rooms.length === 0 || limits === undefined) {
      const text = messageText(packet)
      if (this.#rooms.length === 0) await this.#redis.publish(this.#keys.everyone, text)
      else for (const room of this.#rooms) await (this.#sharded ? this.#redis.spublish(this.#keys.channel(room), text) : this.#redis.publish(this.#keys.channel(room), text))
      return []
    }
    const text = packetText(packet)
    return Promise.all(this.#rooms.map((room) => appendToRoom(this.#redis, this.#keys, room, text, limits, this.#sharded, undefined).then(({ offset }) => offset)))
  }

  /** Closes the connection to Redis. */
  close(): Promise<void> {
    return quit(this.#redis)
  }

  #state(): ConstructorParameters<typeof RedisEmitter>[0] {
    return { redis: this.#redis, keys: this.#keys, limits: this.#limits, sharded: this.#sharded, id: this.#id, seq: this.#seq }
  }
}

/**
 * Connects to Redis and answers an emitter.
 * @throws RealtimeError `CLOSED` when Redis cannot be reached (refused, unknown host, no answer
 * within `connectTimeoutMs`), `BAD_REQUEST` for a URL that is not `redis://` or `rediss://`.
 *
 * @example
 * const emitter = await createRedisEmitter({ url: process.env.REDIS_URL })
 * await emitter.to('orders').emit('order-shipped', { id: 42 })
 * await emitter.close()
 */
export async function createRedisEmitter(options: RedisEmitterOptions = {}): Promise<RedisEmitter> {
  const redis: Redis = createRedis(options)
  await connectRedis(redis, options.url ?? DEFAULT_URL, options.connectTimeoutMs ?? 10_000)
  const sharded = options.sharded === true || ((options.sharded ?? 'auto') === 'auto' && (await supportsSharded(redis)))
  const history = options.history
  const limits = history === false ? undefined : { size: history?.size ?? 1000, ageMs: finiteOrZero(history?.ageMs ?? 120_000) }
  return new RedisEmitter({
    redis: withScripts(redis),
    keys: new KeySpace(options.prefix ?? 'rt:'),
    limits,
    sharded,
    id: `emitter:${randomBytes(9).toString('base64url')}`,
    seq: { value: 0 },
  })
}

function asList(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value
}
