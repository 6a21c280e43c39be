import type { RealtimeClient, RealtimeClientOptions } from '@org/realtime-client'
import type { RealtimePlugin } from '@org/realtime-server'
import { webSocketTransport, type WebSocketClientTransportOptions } from '@org/realtime-transport-ws/client'
import { StrictMode, createElement, type ReactNode } from 'react'
import { flushSync } from 'react-dom'
import { createRoot, type Root } from 'react-dom/client'
import { onTestFinished } from 'vitest'
import WebSocket from 'ws'
import { connectedClient, startServer, until } from '../../../test/support.js'

// Updates come from real sockets, outside `act`: let React schedule them as in a browser.
;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false

export { connectedClient, until }

/** A mounted React tree in the test's DOM; unmounted after the test. */
export interface Mounted {
  readonly container: HTMLElement
  /** Renders `element` in place of what is there, synchronously. */
  render(element: ReactNode): void
  /** Unmounts the tree, synchronously. */
  unmount(): void
  /** The rendered text. */
  text(): string
}

/** Mounts `element` (inside StrictMode unless `strict` is false), synchronously. */
export function mount(element: ReactNode, { strict = true } = {}): Mounted {
  const container = document.createElement('div')
  document.body.append(container)
  const root: Root = createRoot(container)
  let mounted = true
  const wrap = (node: ReactNode): ReactNode => (strict ? createElement(StrictMode, null, node) : node)
  const tree: Mounted = {
    container,
    render: (node) => flushSync(() => root.render(wrap(node))),
    unmount: () => {
      if (!mounted) return
      mounted = false
      flushSync(() => root.unmount())
      container.remove()
    },
    text: () => container.textContent ?? '',
  }
  tree.render(element)
  onTestFinished(() => tree.unmount())
  return tree
}

/** Waits until the rendered text of `tree` contains `text`. */
export async function untilText(tree: Mounted, text: string, timeoutMs = 10_000): Promise<void> {
  await until(() => tree.text().includes(text), timeoutMs, `"${text}" in "${tree.text()}"`)
}

/** What the server saw of subscriptions, counted by a plugin's hooks. */
export interface SubscriptionLog {
  /** `afterSubscribe` calls, by channel. */
  readonly subscribed: Map<string, number>
  /** `afterUnsubscribe` calls, by channel. */
  readonly unsubscribed: Map<string, number>
  /** Connections in each room, as `onJoin` and `onLeave` counted them. */
  readonly members: Map<string, number>
}

/**
 * A server on 127.0.0.1 with an `echo` handler, counting subscriptions with a plugin, and
 * refusing channels named `secret:*`.
 */
export async function startCountingServer() {
  const log: SubscriptionLog = { subscribed: new Map(), unsubscribed: new Map(), members: new Map() }
  const bump = (map: Map<string, number>, channel: string, by = 1): void => void map.set(channel, (map.get(channel) ?? 0) + by)
  const counter: RealtimePlugin = {
    name: 'subscription-counter',
    afterSubscribe: (_conn, channel) => bump(log.subscribed, channel),
    afterUnsubscribe: (_conn, channel) => bump(log.unsubscribed, channel),
    onJoin: (_conn, room) => bump(log.members, room),
    onLeave: (_conn, room) => bump(log.members, room, -1),
  }
  const server = await startServer({
    plugins: [counter],
    authorize: (_conn, channel) => !channel.startsWith('secret:'),
  })
  server.rt.on('connection', (conn) => conn.on('echo', (data: unknown) => data))
  return { ...server, log }
}

/** A `ws` WebSocket that connects from 127.0.0.2: the server counts it as another peer than 127.0.0.1. */
class BystanderWebSocket extends WebSocket {
  constructor(url: string) {
    super(url, { localAddress: '127.0.0.2' })
  }
}

/** A connected client from 127.0.0.2 (the attacks come from 127.0.0.1); disconnected after the test. */
export function bystanderClient(url: string, options: RealtimeClientOptions = {}): Promise<RealtimeClient> {
  return connectedClient(url, {
    transports: [webSocketTransport({ WebSocket: BystanderWebSocket as unknown as WebSocketClientTransportOptions['WebSocket'] })],
    ...options,
  })
}

/** Sleeps `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
