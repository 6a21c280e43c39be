/**
 * Load process of the soak (bench/soak.mjs): `node bench/soak-load.mjs`, driven over IPC. Holds
 * `count` lean raw-`ws` connections speaking our protocol (lib/protocols.mjs: `hello=1` in the
 * URL, a recoverable `hello`, as the bundled client without `auth` says it), from its own
 * loopback address, connection i in room `r<i mod rooms>`. It checks every message as it
 * arrives: each room's
 * messages carry seq 0, 1, 2, … and so do the broadcasts to all; a gap is counted as lost, a seq
 * that comes again or late as a duplicate. `verify` adds what has not arrived yet.
 */
import { WebSocket } from 'ws'
import { serveParent } from './lib/ipc.mjs'
import { protocols } from './lib/protocols.mjs'

const proto = protocols.ours
const TEXT_LENGTH = 80
const maxLifetimeMs = Number(process.argv[2] ?? 15 * 60_000)

let config
/** @type {Array<{ ws: WebSocket, room: number, nextRoom: number, nextAll: number, ready: boolean }>} */
const conns = []
let closing = false
const tally = { roomReceived: 0, allReceived: 0, gaps: 0, duplicates: 0, damaged: 0, unexpected: 0, closed: 0, closeCodes: {} }

/** Checks a message `{ seq, text }` against what the connection expects next on that stream. */
function check(conn, key, data) {
  if (typeof data?.text !== 'string' || data.text.length !== TEXT_LENGTH) tally.damaged++
  const expected = conn[key]
  if (data.seq === expected) conn[key]++
  else if (data.seq > expected) {
    // The messages in between never came (or will come late, and count as duplicates too).
    tally.gaps += data.seq - expected
    conn[key] = data.seq + 1
  } else tally.duplicates++
}

function onApp(conn, text) {
  const frame = JSON.parse(text)
  if (Array.isArray(frame)) {
    // A channel event: [channel, offset, event, data].
    const [channel, , event, data] = frame
    if (event !== 'm' || channel !== `r${conn.room}`) return tally.unexpected++
    tally.roomReceived++
    check(conn, 'nextRoom', data)
  } else if (frame.t === 'event' && frame.e === 'all' && frame.ch === undefined) {
    tally.allReceived++
    check(conn, 'nextAll', frame.d)
  } else tally.unexpected++
}

function dial(index) {
  return new Promise((resolve, reject) => {
    const room = index % config.rooms
    const ws = new WebSocket(`ws://127.0.0.1:${config.port}${proto.path}?room=r${room}&${proto.query}`, { perMessageDeflate: false, localAddress: config.localAddress })
    const conn = { ws, room, nextRoom: 0, nextAll: 0, ready: false }
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`connection ${index}: no welcome within 30 s`))
    }, 30_000)
    ws.on('message', (data) => {
      const text = String(data)
      try {
        const handled = proto.control(ws, text)
        if (handled === 'ready') {
          clearTimeout(timer)
          conn.ready = true
          resolve(conn)
        } else if (!handled) onApp(conn, text)
      } catch {
        tally.unexpected++
      }
    })
    ws.on('error', (error) => {
      if (!conn.ready) {
        clearTimeout(timer)
        reject(error)
      }
    })
    ws.on('close', (code) => {
      if (!conn.ready) {
        clearTimeout(timer)
        return reject(new Error(`connection ${index} closed during the handshake (code ${code})`))
      }
      if (closing) return
      tally.closed++
      tally.closeCodes[code] = (tally.closeCodes[code] ?? 0) + 1
    })
  })
}

serveParent(
  {
    /** `{ port, localAddress, rooms, first, count }`: connections first … first + count - 1. */
    setup(args) {
      config = args
    },

    /** Opens the connections, at most `concurrency` handshakes at a time. */
    async connect({ concurrency }) {
      const startedAt = performance.now()
      let next = 0
      const worker = async () => {
        while (next < config.count) conns.push(await dial(config.first + next++))
      }
      await Promise.all(Array.from({ length: Math.min(concurrency, config.count) }, worker))
      return { ms: performance.now() - startedAt, open: conns.length }
    },

    status() {
      const { rss, heapUsed } = process.memoryUsage()
      const { user, system } = process.cpuUsage()
      return { ...tally, open: conns.filter((c) => c.ws.readyState === WebSocket.OPEN).length, rss, heapUsed, cpuMs: (user + system) / 1000 }
    },

    /**
     * Compares what arrived with what the server sent: `roomSent[room]` per room, `allSent` to all;
     * `expected` is what this process's connections should have received.
     */
    verify({ roomSent, allSent }) {
      let missing = 0
      let beyond = 0
      let expected = 0
      for (const conn of conns) {
        const room = roomSent[conn.room]
        expected += room + allSent
        missing += Math.max(0, room - conn.nextRoom) + Math.max(0, allSent - conn.nextAll)
        beyond += Math.max(0, conn.nextRoom - room) + Math.max(0, conn.nextAll - allSent)
      }
      return { ...tally, expected, missing, beyond, lost: tally.gaps + missing, conns: conns.length }
    },

    exit() {
      closing = true
      setImmediate(() => process.exit(0))
    },
  },
  { maxLifetimeMs },
)
