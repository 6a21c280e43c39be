// @vitest-environment happy-dom
import { createElement as h, StrictMode } from 'react'
import { hydrateRoot } from 'react-dom/client'
import { renderToString } from 'react-dom/server'
import { describe, expect, it, onTestFinished } from 'vitest'
import { RealtimeProvider, useChannel, useEvent, useRealtime } from '../src/index.js'
import { startCountingServer, until } from './react-support.js'

function App() {
  const { state } = useRealtime()
  const room = useChannel<{ text: string }>('room:ssr')
  useEvent('notice', () => undefined)
  return h('p', null, `client=${state} room=${room.state} messages=${room.messages.length}`)
}

describe('hydration', () => {
  it('hydrates the server HTML without a mismatch, then connects and subscribes once', async () => {
    const { url, rt, log } = await startCountingServer()
    let connections = 0
    rt.on('connection', () => void connections++)
    const tree = (): ReturnType<typeof h> => h(StrictMode, null, h(RealtimeProvider, { url, releaseDelayMs: 100 }, h(App)))
    const container = document.createElement('div')
    container.innerHTML = renderToString(tree())
    document.body.append(container)
    const problems: unknown[] = []
    const root = hydrateRoot(container, tree(), { onRecoverableError: (error) => void problems.push(error) })
    onTestFinished(() => root.unmount())
    await until(() => container.textContent === 'client=connected room=subscribed messages=0', 10_000, `hydrated and connected: "${container.textContent}"`)
    expect(problems).toEqual([])
    expect(connections).toBe(1)
    expect(log.subscribed.get('room:ssr')).toBe(1)
  })
})
