// @vitest-environment happy-dom
import type { RealtimePlugin } from '@org/realtime-server'
import { presence as presencePlugin } from '@org/realtime-presence'
import { presence } from '@org/realtime-presence/client'
import { createElement as h, useState } from 'react'
import { describe, expect, it } from 'vitest'
import { RealtimeProvider } from '../src/index.js'
import { usePresence } from '../src/presence.js'
import { startServer } from '../../../test/support.js'
import { bystanderClient, connectedClient, mount, sleep, until, untilText } from './react-support.js'

type Meta = { status: string }

/** A server with the presence plugin (metas of at most 200 bytes) whose users are named by their `auth`. */
async function presenceServer() {
  const subscribed = new Map<string, number>()
  const members = new Map<string, number>()
  const bump = (map: Map<string, number>, key: string, by: number): void => void map.set(key, (map.get(key) ?? 0) + by)
  const counter: RealtimePlugin<{ userId: string }> = {
    name: 'counter',
    afterSubscribe: (_conn, channel) => bump(subscribed, channel, 1),
    onJoin: (_conn, room) => bump(members, room, 1),
    onLeave: (_conn, room) => bump(members, room, -1),
  }
  const server = await startServer<{ userId: string }>({
    authenticate: ({ auth }) => ({ userId: String(auth) }),
    authorize: () => true,
    plugins: [presencePlugin<{ userId: string }>({ batchMs: 20, maxMetaBytes: 200 }), counter],
  })
  server.rt.on('connection', (conn) => conn.on('echo', (data: unknown) => data))
  return { ...server, subscribed, members }
}

const renders = new Map<string, number>()

/** Shows one member's status, counting its renders. */
function MemberStatus({ user }: { user: string }) {
  const member = usePresence<Meta, ReturnType<typeof pick>>('room:1', undefined, (p) => pick(p.members.get(user)))
  renders.set(user, (renders.get(user) ?? 0) + 1)
  return h('li', null, `${user}=${member?.status ?? 'away'}`)
}

function pick(member: { metas: ReadonlyArray<{ meta: Meta }> } | undefined): Meta | undefined {
  return member?.metas[0]?.meta
}

/** Tracks this connection and shows how many members there are. */
function Me({ meta }: { meta: Meta }) {
  const count = usePresence<Meta, number>('room:1', meta, (p) => p.members.size)
  const error = usePresence<Meta, string>('room:1', undefined, (p) => p.error?.code ?? '-')
  return h('p', null, `members=${count} error=${error}`)
}

describe('usePresence', () => {
  it('re-renders only the components that select the member whose presence changed', async () => {
    const { url, rt, subscribed } = await presenceServer()
    const ada = await connectedClient(url, { auth: 'ada' })
    const bob = await connectedClient(url, { auth: 'bob' })
    const adaPresence = presence<Meta>(ada.channel('room:1'))
    await adaPresence.track({ status: 'idle' })
    await presence<Meta>(bob.channel('room:1')).track({ status: 'idle' })
    const viewer = await connectedClient(url, { auth: 'viewer' })
    const tree = mount(
      h(RealtimeProvider, { client: viewer, releaseDelayMs: 200 }, h(Me, { meta: { status: 'watching' } }), h(MemberStatus, { user: 'ada' }), h(MemberStatus, { user: 'bob' })),
    )
    await untilText(tree, 'members=3 error=-ada=idlebob=idle')
    await sleep(100)
    const before = { ada: renders.get('ada') ?? 0, bob: renders.get('bob') ?? 0 }
    await adaPresence.update({ status: 'typing' })
    await untilText(tree, 'ada=typing')
    await sleep(200)
    expect(renders.get('ada')).toBeGreaterThan(before.ada)
    expect(renders.get('bob')).toBe(before.bob)
    // Five components (StrictMode) share one watch of the presence channel.
    expect(subscribed.get('presence:room:1')).toBe(3)
    expect(rt.connections.size).toBe(3)
  })

  it('stops tracking and watching within the release delay after the last component unmounts', async () => {
    const { url, members } = await presenceServer()
    const ada = await connectedClient(url, { auth: 'ada' })
    const adaPresence = presence<Meta>(ada.channel('room:1'))
    await adaPresence.track({ status: 'here' })
    const viewer = await connectedClient(url, { auth: 'viewer' })
    const app = (shown: boolean) => h(RealtimeProvider, { client: viewer, releaseDelayMs: 100 }, shown ? h(Me, { meta: { status: 'watching' } }) : null)
    const tree = mount(app(true))
    await untilText(tree, 'members=2')
    await until(() => adaPresence.count() === 2, 10_000, 'ada to see the viewer')
    tree.render(app(false))
    await until(() => adaPresence.count() === 1, 10_000, 'the viewer to leave')
    await until(() => members.get('presence:room:1') === 1, 10_000, 'the viewer to leave the presence channel')
    // Mounted again: watched and tracked again.
    tree.render(app(true))
    await untilText(tree, 'members=2')
    await until(() => adaPresence.count() === 2, 10_000, 'ada to see the viewer again')
  })

  it('moves this connection to the new channel when the channel prop changes', async () => {
    const { url } = await presenceServer()
    const ada = await connectedClient(url, { auth: 'ada' })
    const one = presence<Meta>(ada.channel('room:1'))
    const two = presence<Meta>(ada.channel('room:2'))
    await one.track({ status: 'one' })
    await two.track({ status: 'two' })
    const viewer = await connectedClient(url, { auth: 'viewer' })
    let setRoom: (room: string) => void = () => {}
    function Room() {
      const [room, set] = useState('room:1')
      setRoom = set
      const count = usePresence<Meta, number>(room, { status: 'watching' }, (p) => p.members.size)
      return h('p', null, `${room} members=${count}`)
    }
    const tree = mount(h(RealtimeProvider, { client: viewer, releaseDelayMs: 100 }, h(Room)))
    await untilText(tree, 'room:1 members=2')
    await until(() => one.get('viewer') !== undefined, 10_000, 'the viewer in room:1')
    setRoom('room:2')
    await untilText(tree, 'room:2 members=2')
    await until(() => two.get('viewer') !== undefined && one.get('viewer') === undefined, 10_000, 'the viewer to move to room:2')
  })

  it('sends a changed meta as one update for the others, never a leave and a join', async () => {
    const { url } = await presenceServer()
    const ada = await connectedClient(url, { auth: 'ada' })
    const adaPresence = presence<Meta>(ada.channel('room:1'))
    const seen: string[] = []
    adaPresence.on('join', (member) => seen.push(`join ${member.key}`))
    adaPresence.on('leave', (member) => seen.push(`leave ${member.key}`))
    adaPresence.on('update', (member) => seen.push(`update ${member.key} ${member.metas[0]?.meta.status}`))
    await adaPresence.track({ status: 'here' })
    const viewer = await connectedClient(url, { auth: 'viewer' })
    const app = (status: string) => h(RealtimeProvider, { client: viewer }, h(Me, { meta: { status } }))
    const tree = mount(app('reading'))
    await until(() => adaPresence.get('viewer')?.metas[0]?.meta.status === 'reading', 10_000, 'the viewer to join')
    tree.render(app('typing'))
    await until(() => adaPresence.get('viewer')?.metas[0]?.meta.status === 'typing', 10_000, 'the new meta')
    tree.render(app('typing'))
    await sleep(300)
    expect(seen.filter((line) => line.includes('viewer'))).toEqual(['join viewer', 'update viewer typing'])
  })

  it('shows a refused meta (too large) as the error while a bystander keeps being served', async () => {
    const { url } = await presenceServer()
    const bystander = await bystanderClient(url, { auth: 'bystander' })
    const attacker = await connectedClient(url, { auth: 'mallory' })
    const tree = mount(h(RealtimeProvider, { client: attacker }, h(Me, { meta: { status: 'x'.repeat(10_000) } })))
    await untilText(tree, 'error=PAYLOAD_TOO_LARGE')
    expect(tree.text()).toContain('members=0')
    await expect(bystander.emitWithAck('echo', 'still here', { timeoutMs: 10_000 })).resolves.toBe('still here')
  })
})
