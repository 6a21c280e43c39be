/**
 * Server process of the presence scenario (bench/scenarios/presence.mjs):
 * `node bench/scenarios/presence-server.mjs <ours|socketio>`, driven over IPC. (The scenario reads
 * its CPU time from /proc, which answers while it is too busy to.)
 *
 * - `ours`: `@org/realtime-server` with the `@org/realtime-presence` plugin, over WebSocket, the
 *   key taken from `auth`, every limit off that 127.0.0.1 would hit (`rateLimit: false`,
 *   `maxMetasPerKey` moot since every key differs).
 * - `socketio`: Socket.IO 4.8 (WebSocket only) and the app code a developer writes for presence on
 *   it: a map of members; a `track` joins the room, sends the joiner the whole map, and broadcasts
 *   the join to the room; a disconnect broadcasts the leave. `track-quiet` is bench scaffolding for
 *   the setup only (joins the map and the room without telling anyone), so that building a channel
 *   of 10,000 members does not cost Socket.IO 50 million frames before the measurement starts.
 */
import { createServer } from 'node:http'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { serveParent } from '../lib/ipc.mjs'
import { listenOptions } from '../servers/listen-options.mjs'

const impl = process.argv[2]
/**
 * Both servers wait two minutes for a heartbeat's answer (not 20 s): at full size the load process
 * may lag that far behind on a busy machine, and what is measured is presence, not heartbeats.
 */
const PING_TIMEOUT_MS = 120_000
const presenceDist = new URL('../../packages/presence/dist/index.js', import.meta.url)

async function startOurs() {
  if (!existsSync(fileURLToPath(presenceDist))) throw new Error('packages/presence/dist is missing: run `pnpm build` first')
  const { RealtimeServer } = await import('@org/realtime-server')
  const { presence } = await import(presenceDist.href)
  const tracker = presence({ key: (conn) => conn.data.userId })
  const rt = new RealtimeServer({
    rateLimit: false,
    pingTimeoutMs: PING_TIMEOUT_MS,
    authenticate: ({ auth }) => ({ userId: String(auth) }),
    authorize: () => true,
    plugins: [tracker],
  })
  const port = await rt.listen(0, listenOptions)
  return { port, members: () => tracker.count('room'), close: () => rt.close() }
}

async function startSocketIo() {
  const { Server } = await import('socket.io')
  const http = createServer()
  const io = new Server(http, { transports: ['websocket'], serveClient: false, pingTimeout: PING_TIMEOUT_MS })
  /** Socket id → { key, meta }: the app's member map. */
  const members = new Map()
  io.on('connection', (socket) => {
    const key = String(socket.handshake.auth?.userId)
    socket.on('track', (meta, ack) => {
      const first = !members.has(socket.id)
      const member = { id: socket.id, key, meta }
      members.set(socket.id, member)
      if (first) {
        socket.join('room')
        socket.emit('state', [...members.values()])
      }
      socket.to('room').emit(first ? 'join' : 'update', member)
      if (typeof ack === 'function') ack()
    })
    socket.on('track-quiet', (meta, ack) => {
      members.set(socket.id, { id: socket.id, key, meta })
      socket.join('room')
      if (typeof ack === 'function') ack()
    })
    socket.on('disconnect', () => {
      if (members.delete(socket.id)) io.to('room').emit('leave', { id: socket.id })
    })
  })
  await new Promise((resolve) => http.listen({ port: 0, ...listenOptions }, resolve))
  return {
    port: http.address().port,
    members: () => new Set(Array.from(members.values(), (member) => member.key)).size,
    close: () => new Promise((resolve) => io.close(() => resolve())),
  }
}

let server
serveParent(
  {
    async start() {
      server = impl === 'ours' ? await startOurs() : impl === 'socketio' ? await startSocketIo() : undefined
      if (server === undefined) throw new Error(`unknown implementation "${impl}"`)
      return { port: server.port }
    },
    members: () => server.members(),
    async close() {
      await server?.close()
      setImmediate(() => process.exit(0))
    },
  },
  { maxLifetimeMs: 30 * 60_000 },
)
