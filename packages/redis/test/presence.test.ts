import { fileURLToPath } from 'node:url'
import { presence as presencePlugin } from '@org/realtime-presence'
import { presence } from '@org/realtime-presence/client'
import { describe, expect, it } from 'vitest'
import { runScript } from '../../../test/child-process.js'
import { connectedClient, startServer, until } from '../../../test/support.js'
import { redisAdapter } from '../src/index.js'
import { closeAfter, REDIS_URL, testPrefix } from './redis-support.js'

const fixture = fileURLToPath(new URL('./fixtures/presence-node.ts', import.meta.url))
const HEARTBEAT_MS = 300

describe('presence across nodes over Redis', () => {
  it("shows every node's members everywhere, and drops a killed node's members within three heartbeats", async () => {
    const prefix = testPrefix()
    const tracker = presencePlugin<{ userId: string }>({ heartbeatMs: HEARTBEAT_MS, batchMs: 20 })
    const adapter = redisAdapter({ url: REDIS_URL, prefix, logger: false })
    const a = await startServer<{ userId: string }>({
      authenticate: ({ auth }) => ({ userId: String(auth) }),
      authorize: () => true,
      adapter: tracker.cluster(adapter),
      plugins: [tracker],
    })
    closeAfter(() => a.rt.close())
    const child = await runScript(fixture, [REDIS_URL, prefix, String(HEARTBEAT_MS)])
    closeAfter(async () => {
      child.process.kill('SIGKILL')
      await child.exited
    })
    const port = Number((await child.line(/^ready \d+/, 30_000)).split(' ')[1])
    const ada = await connectedClient(a.url, { auth: 'ada', reconnection: false })
    const bob = await connectedClient(`http://127.0.0.1:${port}/realtime`, { auth: 'bob', reconnection: false })
    const adaView = presence(ada.channel('room:1'))
    const bobView = presence(bob.channel('room:1'))
    await adaView.track({ on: 'a' })
    await bobView.track({ on: 'b' })
    await until(() => adaView.get('bob') !== undefined && bobView.get('ada') !== undefined, 10_000, 'each sees the other')
    const left: string[] = []
    adaView.on('leave', (member) => left.push(member.key))
    const killedAt = Date.now()
    child.process.kill('SIGKILL')
    await until(() => left.includes('bob'), 10_000, 'bob to leave')
    expect(Date.now() - killedAt).toBeLessThan(3 * HEARTBEAT_MS + 2000)
    expect(adaView.get('ada')).toBeDefined()
  }, 60_000)
})
