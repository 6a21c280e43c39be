/**
 * Server process of one benchmark run: `node --expose-gc bench/server.mjs <impl>`, driven by
 * bench/run.mjs over IPC. It measures its own CPU time (`process.cpuUsage`) and memory
 * (`process.memoryUsage` after `gc()`); the fan-out publisher runs here too, so a fan-out
 * measures the server's broadcast and nothing else.
 */
import { clock, serveParent } from './lib/ipc.mjs'
import { windowedPump } from './lib/windowed-pump.mjs'

const impl = process.argv[2]
const { start } = await import(`./servers/${impl}.mjs`)
if (typeof global.gc !== 'function') throw new Error('run the server with --expose-gc')

let server
let cpuAtStart
let progress = () => {}

serveParent(
  {
    async start() {
      server = await start()
      return { port: server.port, pid: process.pid }
    },
    connections: () => server.connections(),
    cpuStart() {
      cpuAtStart = process.cpuUsage()
    },
    cpuStop() {
      const { user, system } = process.cpuUsage(cpuAtStart)
      return { cpuUs: user + system }
    },
    async memory() {
      for (let i = 0; i < 4; i++) {
        global.gc()
        await new Promise((resolve) => setImmediate(resolve))
      }
      return { ...process.memoryUsage(), connections: server.connections() }
    },
    fanout: fanout,
    progress({ completed }) {
      progress(completed)
    },
    async close() {
      await server.close()
      setImmediate(() => process.exit(0))
    },
  },
  { maxLifetimeMs: 15 * 60_000 },
)

/**
 * Broadcasts `msgs` messages `{ seq, text }` to the room: up to `burst` per event-loop turn, and
 * never more than `window` messages ahead of the last one every receiver has (reported by the
 * load process through `progress`), so the send buffers stay bounded. Resolves when every
 * receiver has every message.
 */
function fanout({ msgs, window, burst, text }) {
  return new Promise((resolve) => {
    const startedAt = clock()
    const cpu = process.cpuUsage()
    progress = windowedPump({ msgs, window, burst }, (seq) => server.broadcast({ seq, text }), () => {
      const { user, system } = process.cpuUsage(cpu)
      resolve({ startedAt, cpuUs: user + system })
    })
  })
}
