/**
 * Echo: `clients` connections each send `rate` requests per second for `seconds`, and the server
 * answers each with its data (an ack). Server CPU per round trip and RTT percentiles, after a
 * warm-up that is not measured.
 */
import { withProcesses } from '../lib/processes.mjs'

const TEXT = 'x'.repeat(80)

export default {
  name: 'echo',
  title: (size) => `echo: ${size.clients} clients × ${size.rate} msg/s for ${size.seconds} s, with ack`,
  // `http`: Node.js's HTTP server answering each POST with its replies, the floor of any HTTP transport's round trip.
  impls: ['ours', 'ws', 'socketio', 'socketio-polling', 'ours-sse', 'ours-polling', 'http'],
  sizes: {
    quick: { clients: 50, rate: 50, seconds: 5, warmupSeconds: 1 },
    full: { clients: 100, rate: 100, seconds: 10, warmupSeconds: 2 },
  },
  metrics: [
    { key: 'cpuPerRoundTrip', label: 'server CPU µs per round trip', better: 'lower', digits: 1 },
    { key: 'p50', label: 'RTT p50 ms', better: 'lower', digits: 2 },
    { key: 'p99', label: 'RTT p99 ms', better: 'lower', digits: 2 },
  ],
  run(impl, size, { serverFlags }) {
    return withProcesses(impl, serverFlags, async ({ server, load }) => {
      await load.call('connect', { count: size.clients, concurrency: 256 }, 60_000)
      const drainMs = 10_000
      const timeout = (seconds) => seconds * 1000 + drainMs + 10_000
      await load.call('echo', { rate: size.rate, durationMs: size.warmupSeconds * 1000, text: TEXT, drainMs }, timeout(size.warmupSeconds))
      await server.call('cpuStart')
      const echo = await load.call('echo', { rate: size.rate, durationMs: size.seconds * 1000, text: TEXT, drainMs }, timeout(size.seconds))
      const { cpuUs } = await server.call('cpuStop')
      return { cpuPerRoundTrip: cpuUs / echo.roundTrips, p50: echo.p50, p99: echo.p99, serverCpu: cpuUs / 1000 / echo.wallMs, loadCpu: echo.loadCpu }
    })
  },
}
