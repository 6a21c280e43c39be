/**
 * Idle connections: the server's heap and RSS, after gc, before and after `clients` connections
 * have completed their handshake (and joined a room), divided by `clients`.
 */
import { withProcesses } from '../lib/processes.mjs'

export default {
  name: 'idle',
  title: (size) => `${size.clients.toLocaleString('en')} idle connections: server memory per connection`,
  impls: ['ours', 'ws', 'socketio', 'socketio-polling', 'ours-sse', 'ours-polling'],
  sizes: {
    quick: { clients: 2000 },
    full: { clients: 10_000 },
  },
  metrics: [
    { key: 'heapPerConn', label: 'heap bytes per connection', better: 'lower', digits: 0 },
    { key: 'rssPerConn', label: 'RSS bytes per connection', better: 'lower', digits: 0 },
  ],
  run(impl, size, { serverFlags }) {
    return withProcesses(impl, serverFlags, async ({ server, load }) => {
      const before = await server.call('memory')
      await load.call('connect', { count: size.clients, concurrency: 256 }, 120_000)
      await new Promise((resolve) => setTimeout(resolve, 500))
      const after = await server.call('memory', {}, 30_000)
      if (after.connections !== size.clients) throw new Error(`idle: server counts ${after.connections} connections, expected ${size.clients}`)
      return {
        heapPerConn: (after.heapUsed - before.heapUsed) / size.clients,
        rssPerConn: (after.rss - before.rss) / size.clients,
      }
    })
  },
}
