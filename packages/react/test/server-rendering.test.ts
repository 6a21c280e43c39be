// No DOM here: as on a server.
import { RealtimeClient } from '@org/realtime-client'
import { createElement as h } from 'react'
import { renderToString } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { RealtimeProvider, useChannel, useEvent, useRealtime } from '../src/index.js'
import { sleep, startCountingServer } from './react-support.js'

function App() {
  const { state } = useRealtime()
  const room = useChannel<{ text: string }>('room:ssr')
  useEvent('notice', () => undefined)
  return h('p', null, `client=${state} room=${room.state} messages=${room.messages.length}`)
}

describe('server rendering', () => {
  it('renders with renderToString without connecting or subscribing', async () => {
    const { url, rt, log } = await startCountingServer()
    let connections = 0
    rt.on('connection', () => void connections++)
    const html = renderToString(h(RealtimeProvider, { url }, h(App)))
    expect(html).toBe('<p>client=idle room=unsubscribed messages=0</p>')
    const client = new RealtimeClient(url, { autoConnect: false })
    expect(renderToString(h(RealtimeProvider, { client }, h(App)))).toBe('<p>client=idle room=unsubscribed messages=0</p>')
    expect(client.channel('room:ssr').state).toBe('unsubscribed')
    await sleep(300)
    expect(connections).toBe(0)
    expect(log.subscribed.size).toBe(0)
  })
})
