// @vitest-environment happy-dom
import { createElement as h, useState } from 'react'
import { describe, expect, it } from 'vitest'
import { RealtimeProvider, useChannel, useRealtime, type UseChannelResult } from '../src/index.js'
import { bystanderClient, connectedClient, mount, sleep, startCountingServer, until, untilText } from './react-support.js'

/** Renders the channel's state and the texts of its messages; counts every message it is handed. */
function Room({ name, seen }: { name: string; seen?: string[] }) {
  const { state, messages } = useChannel<{ text: string }>(name, { onMessage: (m) => seen?.push(`${name}:${m.data.text}`) })
  return h('p', null, `${name} ${state} [${messages.map((m) => m.data.text).join(',')}]`)
}

const RELEASE_MS = 200

describe('useChannel', () => {
  it('subscribes once under StrictMode and hands each message to the component once', async () => {
    const { url, rt, log } = await startCountingServer()
    const client = await connectedClient(url)
    const seen: string[] = []
    const tree = mount(h(RealtimeProvider, { client, releaseDelayMs: RELEASE_MS }, h(Room, { name: 'room:1', seen })))
    await untilText(tree, 'room:1 subscribed')
    rt.to('room:1').emit('message', { text: 'a' })
    rt.to('room:1').emit('message', { text: 'b' })
    await untilText(tree, '[a,b]')
    await sleep(RELEASE_MS * 2)
    expect(log.subscribed.get('room:1')).toBe(1)
    expect(log.unsubscribed.get('room:1')).toBeUndefined()
    expect(seen).toEqual(['room:1:a', 'room:1:b'])
    expect(await rt.in('room:1').count()).toBe(1)
  })

  it('keeps one subscription across A→B→A remounts within the release delay, and delivers once after them', async () => {
    const { url, rt, log } = await startCountingServer()
    const client = await connectedClient(url)
    const seen: string[] = []
    // A delay far longer than the remounts take, even on a loaded machine.
    const page = (which: 'A' | 'B') => h(RealtimeProvider, { client, releaseDelayMs: 10_000 }, which === 'A' ? h(Room, { name: 'room:a', seen }) : h('p', null, 'page B'))
    const tree = mount(page('A'))
    await untilText(tree, 'room:a subscribed')
    tree.render(page('B'))
    await untilText(tree, 'page B')
    tree.render(page('A'))
    await untilText(tree, 'room:a subscribed')
    rt.to('room:a').emit('message', { text: 'once' })
    await untilText(tree, '[once]')
    await sleep(RELEASE_MS)
    expect(seen).toEqual(['room:a:once'])
    expect(log.subscribed.get('room:a')).toBe(1)
    expect(log.unsubscribed.get('room:a')).toBeUndefined()
  })

  it('shares one subscription between components and unsubscribes within the release delay after the last unmounts', async () => {
    const { url, rt, log } = await startCountingServer()
    const client = await connectedClient(url)
    const two = (count: number) => h(RealtimeProvider, { client, releaseDelayMs: RELEASE_MS }, ...Array.from({ length: count }, (_, i) => h(Room, { key: i, name: 'room:s' })))
    const tree = mount(two(2))
    await until(() => tree.text().split('room:s subscribed').length === 3, 10_000, 'two subscribed rooms')
    rt.to('room:s').emit('message', { text: 'x' })
    await until(() => tree.text().split('[x]').length === 3, 10_000, 'both components to show the message')
    tree.render(two(0))
    await until(() => log.unsubscribed.get('room:s') === 1, RELEASE_MS + 10_000, 'the unsubscription')
    expect(log.subscribed.get('room:s')).toBe(1)
    expect(await rt.in('room:s').count()).toBe(0)
  })

  it('leaves no channel subscribed after 1,000 mount/unmount cycles', async () => {
    const { url, rt, log } = await startCountingServer()
    const client = await connectedClient(url)
    const tree = mount(h(RealtimeProvider, { client, releaseDelayMs: 50 }, null))
    const started = Date.now()
    for (let cycle = 0; cycle < 1000; cycle++) {
      // Ten channels taking turns, so some are released and taken again while others stay away.
      tree.render(h(RealtimeProvider, { client, releaseDelayMs: 50 }, h(Room, { name: `room:c${cycle % 10}` })))
      tree.render(h(RealtimeProvider, { client, releaseDelayMs: 50 }, null))
      if (cycle % 50 === 49) await sleep(1) // let frames and answers flow now and then, as in an app
      expect(Date.now() - started).toBeLessThan(60_000)
    }
    // Every room the server joined this connection to is left again, within the release delay.
    await until(() => [...log.members.values()].every((members) => members === 0), 10_000, 'every room to be left')
    expect(log.members.size).toBe(10)
    for (let i = 0; i < 10; i++) expect(await rt.in(`room:c${i}`).count()).toBe(0)
    for (let i = 0; i < 10; i++) expect(client.channel(`room:c${i}`).state).toBe('unsubscribed')
    expect(rt.connections.size).toBe(1)
  }, 90_000)

  it('swaps channels cleanly when the name changes: the old one is left, only the new one delivers', async () => {
    const { url, rt, log } = await startCountingServer()
    const client = await connectedClient(url)
    const seen: string[] = []
    let setName: (name: string) => void = () => {}
    function Switcher() {
      const [name, set] = useState('room:old')
      setName = set
      return h(Room, { name, seen })
    }
    const tree = mount(h(RealtimeProvider, { client, releaseDelayMs: RELEASE_MS }, h(Switcher)))
    await untilText(tree, 'room:old subscribed')
    setName('room:new')
    await untilText(tree, 'room:new subscribed []')
    await until(() => log.unsubscribed.get('room:old') === 1, 10_000, 'the old channel to be left')
    rt.to('room:old').emit('message', { text: 'stale' })
    rt.to('room:new').emit('message', { text: 'fresh' })
    await untilText(tree, '[fresh]')
    await sleep(100)
    expect(seen).toEqual(['room:new:fresh'])
    expect(await rt.in('room:old').count()).toBe(0)
    expect(log.subscribed.get('room:new')).toBe(1)
  })

  it('publishes to the other subscribers and shows `recovered` after a resubscription', async () => {
    const { url, rt } = await startCountingServer()
    const client = await connectedClient(url)
    const other = await connectedClient(url)
    await other.channel('room:p').subscribe()
    const received: unknown[] = []
    other.channel('room:p').on('message', (data) => void received.push(data))
    let result: UseChannelResult | undefined
    function Publisher() {
      result = useChannel('room:p')
      return h('p', null, `${result.state} recovered=${String(result.recovered)}`)
    }
    const tree = mount(h(RealtimeProvider, { client, releaseDelayMs: RELEASE_MS }, h(Publisher)))
    await untilText(tree, 'subscribed recovered=false')
    result?.publish('message', { text: 'hi' })
    await until(() => received.length === 1, 10_000, 'the published message')
    expect(received).toEqual([{ text: 'hi' }])
    // Drop the transport: the session resumes, and the channel is confirmed again with nothing lost.
    rt.connections.get(client.id as string)?.terminate()
    await untilText(tree, 'subscribed recovered=true', 15_000)
  })

  it('subscribes again when the app connects the client again after disconnecting it', async () => {
    const { url, log } = await startCountingServer()
    const client = await connectedClient(url)
    const tree = mount(h(RealtimeProvider, { client }, h(Room, { name: 'room:back' })))
    await untilText(tree, 'room:back subscribed')
    client.disconnect()
    await untilText(tree, 'room:back unsubscribed')
    client.connect()
    await untilText(tree, 'room:back subscribed')
    expect(log.subscribed.get('room:back')).toBe(2)
  })

  it('shows a refused subscription as its error while the app and other channels go on', async () => {
    const { url } = await startCountingServer()
    const client = await connectedClient(url)
    function Both() {
      const secret = useChannel('secret:vault')
      const open = useChannel('room:open')
      const { connected } = useRealtime()
      return h('p', null, `secret=${secret.state}:${secret.error?.code ?? '-'} open=${open.state} connected=${String(connected)}`)
    }
    const tree = mount(h(RealtimeProvider, { client }, h(Both)))
    await untilText(tree, 'secret=unsubscribed:FORBIDDEN open=subscribed connected=true')
  })

  it('keeps at most maxMessages while an attacker floods the channel, and a bystander keeps being served', async () => {
    const { url } = await startCountingServer()
    const client = await connectedClient(url)
    const attacker = await connectedClient(url)
    const bystander = await bystanderClient(url)
    function Flooded() {
      const { messages, state } = useChannel<{ n: number }>('room:flood', { maxMessages: 20 })
      return h('p', null, `${state} count=${messages.length} last=${messages.at(-1)?.data.n ?? -1}`)
    }
    const tree = mount(h(RealtimeProvider, { client }, h(Flooded)))
    await untilText(tree, 'subscribed count=0')
    const flood = attacker.channel('room:flood')
    for (let n = 0; n < 500; n++) flood.publish('message', { n })
    await expect(bystander.emitWithAck('echo', 'still here', { timeoutMs: 10_000 })).resolves.toBe('still here')
    await until(() => /last=\d+/.test(tree.text()) && !tree.text().includes('last=-1') && tree.text().includes('count=20'), 15_000, 'the flood to arrive')
    // Whatever the server's rate limit let through, the component holds at most 20 of them.
    const count = Number(/count=(\d+)/.exec(tree.text())?.[1])
    expect(count).toBeLessThanOrEqual(20)
    await expect(bystander.emitWithAck('echo', 'still here', { timeoutMs: 10_000 })).resolves.toBe('still here')
  })
})
