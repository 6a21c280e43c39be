import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { RealtimeServer, isRealtimeError } from '@org/realtime-server'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { connectedClient, until } from '../../../test/support.js'
import { redisAdapter } from '../src/index.js'
import { closeAfter, recordingLogger, REDIS_URL, startNode, testPrefix } from './redis-support.js'

async function startFailing(url: string): Promise<unknown> {
  const adapter = redisAdapter({ url, logger: false, connectTimeoutMs: 3000 })
  const rt = new RealtimeServer({ adapter, logger: false })
  closeAfter(() => rt.close())
  return rt.listen(0, { host: '127.0.0.1' }).then(
    () => undefined,
    (error: unknown) => error,
  )
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

async function publisher(): Promise<Redis> {
  const redis = new Redis(REDIS_URL)
  closeAfter(async () => redis.disconnect())
  return redis
}

describe('bad input', () => {
  it('refuses to start with a URL that is not a Redis URL', async () => {
    const error = await startFailing('http://127.0.0.1:6379')
    expect(isRealtimeError(error) && error.code).toBe('BAD_REQUEST')
    expect((error as Error).message).toMatch(/redis:\/\//)
  })

  it('refuses to start, with the reason, when Redis refuses the connection, and hides the password', async () => {
    const port = await closedPort()
    const started = Date.now()
    const error = await startFailing(`redis://user:secret@127.0.0.1:${port}`)
    expect(Date.now() - started).toBeLessThan(3000)
    expect(isRealtimeError(error) && error.code).toBe('CLOSED')
    expect((error as Error).message).toContain(`127.0.0.1:${port}`)
    expect((error as Error).message).toMatch(/ECONNREFUSED/)
    expect((error as Error).message).not.toContain('secret')
  })

  it('ignores malformed messages, other versions and foreign entries on its channels with a warning, and goes on', async () => {
    const prefix = testPrefix()
    const logger = recordingLogger()
    const a = await startNode(prefix)
    const b = await startNode(prefix, { adapter: { logger } })
    const client = await connectedClient(b.url)
    const got: Array<[unknown, number | undefined]> = []
    client.channel('room').on('msg', (data, { offset }) => got.push([data, offset]))
    await client.channel('room').subscribe()
    const redis = await publisher()
    const channel = `${prefix}{room}:c`
    for (const junk of ['not json', '[1,"e",1,0]', '[2,"e",1,0]\n["msg",["room"],[],"x",0,1]', '[1,"e",1,0]\n["msg",["room"],[],"x",0,1]\n{broken', '{}\n{}', '']) {
      await redis.spublish(channel, junk)
    }
    await redis.publish(`${prefix}all`, 'junk for everyone')
    // A foreign entry in the stream: a history read skips it.
    await redis.xadd(`${prefix}{room}:s`, '0-5', 'foo', 'bar')
    expect(await a.rt.to('room').emit('msg', 'real')).toEqual([1])
    await until(() => got.length === 1, 10_000)
    expect(got).toEqual([['real', 1]])
    const reader = await connectedClient(a.url)
    const page = await reader.channel('room').history()
    expect(page.messages.map((message) => message.data)).toEqual(['real'])
    expect(b.adapter.stats.ignored).toBeGreaterThanOrEqual(7)
    expect(logger.lines.some((line) => line.level === 'warn' && /ignored a message/.test(line.message))).toBe(true)
    // Warnings are rate limited: a flood of junk is not a flood of log lines.
    expect(logger.lines.filter((line) => /ignored a message/.test(line.message)).length).toBeLessThanOrEqual(2)
  })

  it('keeps apps with different key prefixes apart on one Redis server', async () => {
    const first = testPrefix()
    const second = testPrefix()
    const app1 = await startNode(first)
    const app2 = await startNode(second)
    const client1 = await connectedClient(app1.url)
    const client2 = await connectedClient(app2.url)
    const got1: unknown[] = []
    const got2: unknown[] = []
    client1.channel('shared').on('msg', (data) => got1.push(data))
    client2.channel('shared').on('msg', (data) => got2.push(data))
    await client1.channel('shared').subscribe()
    await client2.channel('shared').subscribe()
    expect(await app1.rt.to('shared').emit('msg', 'one')).toEqual([1])
    expect(await app2.rt.to('shared').emit('msg', 'two')).toEqual([1])
    await app1.rt.emit('everyone', 1)
    await until(() => got1.length === 1 && got2.length === 1, 10_000)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(got1).toEqual(['one'])
    expect(got2).toEqual(['two'])
  })
})
