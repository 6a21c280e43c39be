import { ErrorCode, RealtimeError } from '@org/realtime-server'
import { Redis } from 'ioredis'
import { clientOptions, type RedisConnectionOptions } from './options.js'

/** The default Redis server. */
export const DEFAULT_URL = 'redis://127.0.0.1:6379'

/**
 * A new, not yet connected, ioredis client for `options.url`.
 * @throws RealtimeError `BAD_REQUEST` for a URL that is not `redis://` or `rediss://`.
 */
export function createRedis(options: RedisConnectionOptions): Redis {
  const url = options.url ?? DEFAULT_URL
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new RealtimeError(ErrorCode.BadRequest, `The Redis URL is not a URL: ${JSON.stringify(redact(url))}`, { cause })
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RealtimeError(ErrorCode.BadRequest, `The Redis URL must start with redis:// or rediss://, not ${parsed.protocol}//`)
  }
  return new Redis(url, clientOptions(options))
}

/**
 * Connects `redis`, or rejects with an error that names the server (without its password) and
 * why: refused, unknown host, wrong password, or no answer within `timeoutMs`. A client that
 * fails is disconnected, so it does not go on retrying.
 */
export async function connectRedis(redis: Redis, url: string, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return
  let lastError: unknown
  const onError = (error: unknown): void => {
    lastError = error
  }
  redis.on('error', onError)
  let timer: ReturnType<typeof setTimeout> | undefined
  let onReady: (() => void) | undefined
  let onFailure: ((error: unknown) => void) | undefined
  try {
    const ready = new Promise<void>((resolve, reject) => {
      onReady = resolve
      // The first failure ends the start: a wrong address does not heal by retrying.
      onFailure = reject
      redis.once('ready', onReady)
      redis.once('error', onFailure)
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    })
    if (redis.status === 'wait') redis.connect().catch(onError)
    await ready
  } catch (error) {
    redis.disconnect()
    const cause = lastError ?? error
    throw new RealtimeError(ErrorCode.Closed, `Cannot connect to Redis at ${redact(url)}: ${(cause as Error).message ?? String(cause)}`, { cause })
  } finally {
    clearTimeout(timer)
    redis.off('error', onError)
    if (onReady !== undefined) redis.off('ready', onReady)
    if (onFailure !== undefined) redis.off('error', onFailure)
  }
}

/** `url` without its password. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@')
  }
}

/** Closes a client: politely when it is connected, at once when not, and within a second either way. */
export async function quit(redis: Redis | undefined): Promise<void> {
  if (redis === undefined) return
  if (redis.status !== 'ready') {
    redis.disconnect()
    return
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([redis.quit().catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))])
  clearTimeout(timer)
  redis.disconnect()
}
