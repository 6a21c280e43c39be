/**
 * Connect storm: `clients` connections opened at once; connections/s runs until the last one has
 * completed its handshake (for us `welcome`, for Socket.IO the namespace `40`, for ws `open`).
 */
import { withProcesses } from '../lib/processes.mjs'

export default {
  name: 'storm',
  title: (size) => `connect storm: ${size.clients.toLocaleString('en')} clients connecting at once`,
  impls: ['ours', 'ws', 'socketio', 'socketio-polling', 'ours-sse', 'ours-polling'],
  sizes: {
    quick: { clients: 500 },
    full: { clients: 2000 },
  },
  metrics: [
    { key: 'connPerSec', label: 'connections/s', better: 'higher', digits: 0 },
    { key: 'cpuPerConn', label: 'server CPU µs per connection', better: 'lower', digits: 0 },
  ],
  run(impl, size, { serverFlags }) {
    return withProcesses(impl, serverFlags, async ({ server, load }) => {
      await server.call('cpuStart')
      const { ms, open, loadCpu } = await load.call('connect', { count: size.clients, concurrency: size.clients }, 120_000)
      const { cpuUs } = await server.call('cpuStop')
      const connected = await server.call('connections')
      if (open !== size.clients || connected !== size.clients) {
        throw new Error(`storm: ${open} open at the client, ${connected} at the server, expected ${size.clients}`)
      }
      return { connPerSec: size.clients / (ms / 1000), cpuPerConn: cpuUs / size.clients, serverCpu: cpuUs / 1000 / ms, loadCpu }
    })
  },
}
