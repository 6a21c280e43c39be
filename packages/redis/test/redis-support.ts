import { randomBytes } from 'node:crypto'
import type { Logger } from '@org/realtime-core'
import type { RealtimeServer, RealtimeServerOptions } from '@org/realtime-server'
import { Redis } from 'ioredis'
import { afterEach } from 'vitest'
import { startServer } from '../../../test/support.js'
import { redisAdapter, type RedisAdapter, type RedisAdapterOptions } from '../src/index.js'

/** The shared Redis server of the test environment. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A node of a test cluster: a server on an ephemeral port with a Redis adapter. */
export interface TestNode {
  readonly rt: RealtimeServer
  readonly adapter: RedisAdapter
  readonly port: number
  readonly url: string
}

const closers: Array<() => Promise<unknown>> = []
const prefixes: Array<{ url: string; prefix: string }> = []

// Servers first (they may still write), then the keys each test made under its own prefix.
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
  for (const { url, prefix } of prefixes.splice(0)) await removeKeys(url, prefix)
})

/** A key prefix for this test alone; its keys are removed after the test. */
export function testPrefix(url = REDIS_URL): string {
  const prefix = `rt-test:${randomBytes(6).toString('base64url')}:`
  prefixes.push({ url, prefix })
  return prefix
}

/** Runs `close` after the test, before the keys are removed. */
export function closeAfter(close: () => Promise<unknown>): void {
  closers.push(close)
}

/** Starts a node of the cluster of `prefix`; every client may subscribe and publish. */
export async function startNode(
  prefix: string,
  options: { adapter?: RedisAdapterOptions; server?: RealtimeServerOptions<any> } = {},
): Promise<TestNode> {
  const adapter = redisAdapter({ url: REDIS_URL, prefix, logger: false, lingerMs: 200, ...options.adapter })
  const { rt, port, url } = await startServer({ adapter, authorize: () => true, ...options.server })
  closeAfter(() => rt.close())
  return { rt, adapter, port, url }
}

/** Removes every key under `prefix`. */
export async function removeKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
    let cursor = '0'
    for (let round = 0; round < 10_000; round++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.unlink(...keys)
      cursor = next
      if (cursor === '0') break
    }
  } catch {
    // Redis is gone (an outage test's own server): nothing left to remove.
  } finally {
    redis.disconnect()
  }
}

/** Keys under `prefix` now. */
export async function keysUnder(prefix: string, url = REDIS_URL): Promise<string[]> {
  const redis = new Redis(url)
  try {
    return await redis.keys(`${prefix}*`)
  } finally {
    redis.disconnect()
  }
}

/** A logger that keeps what it was told. */
export function recordingLogger(): Logger & { readonly lines: Array<{ level: string; message: string }> } {
  const lines: Array<{ level: string; message: string }> = []
  const record = (level: string) => (message: string) => {
    lines.push({ level, message })
  }
  return { lines, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') }
}
