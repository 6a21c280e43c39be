// @vitest-environment happy-dom
import { createElement as h } from 'react'
import { describe, expect, it } from 'vitest'
import { RealtimeProvider, useChannel, useEvent, useRealtime } from '../src/index.js'
import { connectedClient, mount, sleep, startCountingServer, until, untilText } from './react-support.js'

/** Renders `hook`'s error message, caught by an error boundary-free try. */
function Probe({ use }: { use: () => unknown }) {
  try {
    use()
    return h('p', null, 'no error')
  } catch (error) {
    return h('p', null, `${(error as { code?: string }).code}: ${(error as Error).message}`)
  }
}

function Status() {
  const { state, connected, id } = useRealtime()
  return h('p', null, `state=${state} connected=${String(connected)} id=${id ?? '-'}`)
}

describe('RealtimeProvider and useRealtime', () => {
  it('throws, outside a provider, an error that says to wrap the app in a RealtimeProvider', () => {
    for (const [name, use] of [
      ['useRealtime', () => useRealtime()],
      ['useChannel', () => useChannel('room:1')],
      ['useEvent', () => useEvent('notice', () => undefined)],
    ] as const) {
      const tree = mount(h(Probe, { use }))
      expect(tree.text()).toContain(`BAD_REQUEST: ${name}() was called outside a <RealtimeProvider>`)
      expect(tree.text()).toContain('<RealtimeProvider client={client}>')
    }
  })

  it('shows the state of the client it is given, and follows a drop and the reconnection', async () => {
    const { url, rt } = await startCountingServer()
    const client = await connectedClient(url)
    const tree = mount(h(RealtimeProvider, { client }, h(Status)))
    expect(tree.text()).toBe(`state=connected connected=true id=${client.id}`)
    const before = client.id as string
    rt.connections.get(before)?.terminate()
    await untilText(tree, 'state=reconnecting')
    await untilText(tree, 'state=connected')
    expect(client.connected).toBe(true)
  })

  it('makes, connects and after unmounting disconnects its own client from a url, once under StrictMode', async () => {
    const { url, rt } = await startCountingServer()
    let connections = 0
    rt.on('connection', () => void connections++)
    const tree = mount(h(RealtimeProvider, { url, releaseDelayMs: 100 }, h(Status)))
    await untilText(tree, 'state=connected')
    await sleep(200)
    expect(connections).toBe(1)
    expect(rt.connections.size).toBe(1)
    tree.unmount()
    await until(() => rt.connections.size === 0, 10_000, 'the owned client to disconnect')
    expect(connections).toBe(1)
  })

  it('reports the lifecycle error of a refused publish in useRealtime().error', async () => {
    const { url } = await startCountingServer()
    const client = await connectedClient(url)
    function Publisher() {
      const { error } = useRealtime()
      return h('p', null, `error=${error?.code ?? '-'}`)
    }
    const tree = mount(h(RealtimeProvider, { client }, h(Publisher)))
    await untilText(tree, 'error=-')
    client.channel('secret:x').publish('message', 1)
    await untilText(tree, 'error=FORBIDDEN')
  })
})

describe('useEvent', () => {
  it('hears each server event once under StrictMode, calls the newest listener, and answers emitWithAck', async () => {
    const { url, rt } = await startCountingServer()
    const client = await connectedClient(url)
    const heard: string[] = []
    function Listener({ prefix }: { prefix: string }) {
      useEvent<string>('notice', (text) => {
        heard.push(`${prefix}${text}`)
        return `${prefix}ok`
      })
      return h('p', null, prefix)
    }
    const tree = mount(h(RealtimeProvider, { client }, h(Listener, { prefix: 'a:' })))
    const conn = rt.connections.get(client.id as string)
    conn?.emit('notice', 'one')
    await until(() => heard.length === 1, 10_000, 'the first notice')
    tree.render(h(RealtimeProvider, { client }, h(Listener, { prefix: 'b:' })))
    await expect(conn?.emitWithAck('notice', 'two')).resolves.toBe('b:ok')
    await sleep(50)
    expect(heard).toEqual(['a:one', 'b:two'])
    tree.unmount()
    conn?.emit('notice', 'three')
    await sleep(100)
    expect(heard).toEqual(['a:one', 'b:two'])
  })
})
