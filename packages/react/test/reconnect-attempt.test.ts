// @vitest-environment happy-dom
import { RealtimeServer } from '@org/realtime-server'
import { createElement as h } from 'react'
import { describe, expect, it, onTestFinished } from 'vitest'
import { allServerTransports, startServer } from '../../../test/support.js'
import { RealtimeProvider, useRealtime } from '../src/index.js'
import { connectedClient, mount, untilText } from './react-support.js'

function Status({ seen }: { seen: string[] }) {
  const { state, reconnectAttempt } = useRealtime()
  const text = `state=${state} attempt=${reconnectAttempt ?? '-'}`
  seen.push(text)
  return h('p', null, text)
}

describe('useRealtime().reconnectAttempt', () => {
  it('counts the reconnection attempts while the server is down, and is undefined once connected again', async () => {
    const { rt, port, url } = await startServer()
    const client = await connectedClient(url, { reconnection: { initialDelayMs: 50, maxDelayMs: 200, jitter: 0 } })
    const seen: string[] = []
    const tree = mount(h(RealtimeProvider, { client }, h(Status, { seen })))
    expect(tree.text()).toBe('state=connected attempt=-')

    await rt.close()
    await untilText(tree, 'state=reconnecting attempt=2', 15_000)
    expect(seen).toContain('state=reconnecting attempt=1')
    expect(seen.filter((text) => text.startsWith('state=reconnecting')).every((text) => /attempt=\d+$/.test(text))).toBe(true)

    const restarted = new RealtimeServer({ transports: allServerTransports(), logger: false })
    onTestFinished(() => restarted.close())
    await restarted.listen(port, { host: '127.0.0.1' })
    await untilText(tree, 'state=connected attempt=-', 15_000)
  })
})
