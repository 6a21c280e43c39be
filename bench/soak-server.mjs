/**
 * Server process of the soak (bench/soak.mjs): `node --expose-gc bench/soak-server.mjs`, driven
 * over IPC. Our server over WebSocket with `rateLimit: false` and the default recovery settings;
 * each connection joins the room its URL names (`/realtime?room=r17`). The trickle of broadcasts
 * runs here, as an application's publisher would: `rate` messages per second to the rooms in
 * turn, each numbered within its room, and every `allEverySeconds` one to every connection,
 * numbered on its own. `sample()` reports memory after `gc()`, CPU and event-loop lag.
 */
import { readdirSync } from 'node:fs'
import { RealtimeServer } from '@org/realtime-server'
import { serveParent } from './lib/ipc.mjs'

if (typeof global.gc !== 'function') throw new Error('run the soak server with --expose-gc')
const maxLifetimeMs = Number(process.argv[2] ?? 15 * 60_000)

// {"seq":12,"text":"xxx…"}: about 100 bytes of JSON, as in the fan-out scenario.
const TEXT = 'x'.repeat(80)

let rt
let trickle
let cpuAt = process.cpuUsage()
let sampledAt = performance.now()

// Event-loop lag: how late a 20 ms timer fires, collected between two samples.
const LAG_TICK_MS = 20
let lags = []
/** The longest broadcast to all since the last sample, from the call until its writes were flushed. */
let allBroadcastMs = 0
let lagExpected = performance.now() + LAG_TICK_MS
setInterval(() => {
  const now = performance.now()
  lags.push(Math.max(0, now - lagExpected))
  lagExpected = now + LAG_TICK_MS
}, LAG_TICK_MS).unref()

serveParent(
  {
    async start() {
      rt = new RealtimeServer({ rateLimit: false })
      rt.on('connection', (conn) => {
        const room = new URL(conn.handshake.url, 'http://x').searchParams.get('room')
        if (room !== null) conn.join(room)
      })
      const port = await rt.listen(0, { host: '127.0.0.1' })
      // What the process holds besides its connections: stdio, IPC, epoll, the listening socket…
      return { port, pid: process.pid, fds: readdirSync('/proc/self/fd').length }
    },

    connections: () => rt.connections.size,

    /** Starts the trickle: `rate` room broadcasts per second over `rooms` rooms, plus one to all every `allEverySeconds`. */
    startTrickle({ rooms, rate, allEverySeconds }) {
      const roomSent = new Array(rooms).fill(0)
      let roomMsgs = 0
      let allSent = 0
      const t0 = performance.now()
      // Catch up on what is due at each tick, so timer jitter and GC pauses change no totals.
      const timer = setInterval(() => {
        const elapsed = (performance.now() - t0) / 1000
        for (const due = Math.floor(elapsed * rate); roomMsgs < due; roomMsgs++) {
          const room = roomMsgs % rooms
          rt.to(`r${room}`).emit('m', { seq: roomSent[room]++, text: TEXT })
        }
        // Half a period out of phase, so that no broadcast to all coincides with a memory sample.
        for (const due = Math.floor(elapsed / allEverySeconds + 0.5); allSent < due; ) {
          const begun = performance.now()
          rt.emit('all', { seq: allSent++, text: TEXT })
          // Until the writes flushed after the turn (our transport uncorks in a later tick) are done.
          setImmediate(() => (allBroadcastMs = Math.max(allBroadcastMs, performance.now() - begun)))
        }
      }, 10)
      trickle = { timer, totals: () => ({ roomSent, allSent }) }
    },

    /** Stops the trickle; resolves with how many messages each room, and everybody, was sent. */
    stopTrickle() {
      clearInterval(trickle.timer)
      return trickle.totals()
    },

    /** Memory after gc, CPU share and event-loop delay since the last sample, connection count. */
    async sample() {
      const { user, system } = process.cpuUsage(cpuAt)
      const now = performance.now()
      const cpu = (user + system) / 1000 / (now - sampledAt)
      const sorted = lags.sort((a, b) => a - b)
      const delay = { p99: sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)] ?? 0, max: sorted[sorted.length - 1] ?? 0 }
      const gcStart = performance.now()
      for (let i = 0; i < 2; i++) {
        global.gc()
        await new Promise((resolve) => setImmediate(resolve))
      }
      const gcMs = performance.now() - gcStart
      const memory = process.memoryUsage()
      // The next interval starts after this sample's GC, which is not the server's own work.
      lags = []
      lagExpected = performance.now() + LAG_TICK_MS
      cpuAt = process.cpuUsage()
      sampledAt = performance.now()
      const allMs = allBroadcastMs
      allBroadcastMs = 0
      return { ...memory, cpu, delay, allMs, gcMs, connections: rt.connections.size, fds: readdirSync('/proc/self/fd').length }
    },

    async close() {
      clearInterval(trickle?.timer)
      await rt.close()
      setImmediate(() => process.exit(0))
    },
  },
  { maxLifetimeMs },
)
