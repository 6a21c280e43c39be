/**
 * Fan-out: the server broadcasts `msgs` messages of ~100 B to a room of `clients` connections.
 * Deliveries/s runs from the first broadcast to the moment the last receiver has the last
 * message; CPU is the server's own, over the same window.
 */
import { withProcesses } from '../lib/processes.mjs'

// {"seq":1234,"text":"xxx…"} is about 100 bytes of JSON.
const TEXT = 'x'.repeat(80)

export default {
  name: 'fanout',
  title: (size) => `fan-out: 1 publisher → room of ${size.clients.toLocaleString('en')} clients, ${size.msgs.toLocaleString('en')} msgs of ~100 B`,
  impls: ['ours', 'ws', 'ws-corked', 'socketio', 'socketio-polling', 'ours-sse', 'ours-polling'],
  sizes: {
    quick: { clients: 200, msgs: 500, warmup: 100, window: 256, burst: 16 },
    full: { clients: 1000, msgs: 2000, warmup: 200, window: 256, burst: 16 },
  },
  metrics: [
    { key: 'deliveriesPerSec', label: 'deliveries/s', better: 'higher', digits: 0 },
    { key: 'cpuPerDelivery', label: 'server CPU µs per delivery', better: 'lower', digits: 2 },
  ],
  run(impl, size, { serverFlags }) {
    return withProcesses(impl, serverFlags, async ({ server, load }) => {
      await load.call('connect', { count: size.clients, concurrency: 256 }, 60_000)
      const connected = await server.call('connections')
      if (connected !== size.clients) throw new Error(`fan-out: server counts ${connected} connections, expected ${size.clients}`)
      load.on('progress', (args) => server.notify('progress', args))
      const once = async (msgs) => {
        const args = { msgs, window: size.window, burst: size.burst, text: TEXT }
        await load.call('fanoutArm', { msgs, textLength: TEXT.length })
        const received = load.call('fanoutWait', {}, 180_000)
        const [sent] = await Promise.all([server.call('fanout', args, 180_000), received])
        return { sent, received: await received }
      }
      await once(size.warmup)
      const { sent, received } = await once(size.msgs)
      const seconds = (received.endedAt - sent.startedAt) / 1000
      return {
        deliveriesPerSec: received.deliveries / seconds,
        cpuPerDelivery: sent.cpuUs / received.deliveries,
        serverCpu: sent.cpuUs / 1000 / (received.endedAt - sent.startedAt),
        loadCpu: received.loadCpu,
      }
    })
  },
}
