/**
 * One node of the scale-out benchmark (bench/scenarios/redis-fanout.mjs), driven over IPC: this
 * library in memory (`ours-memory`) or over Redis (`ours-redis`: @org/realtime-redis), or
 * Socket.IO 4.8 with `@socket.io/redis-adapter` (`socketio-redis`) or
 * `@socket.io/redis-streams-adapter` (`socketio-streams`). Every connection joins `room`; the
 * fan-out publisher runs in the first node. It reports its own CPU time and the bytes it read
 * from Redis (its Redis sockets' `bytesRead`).
 */
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { RealtimeServer } from '@org/realtime-server'
import { Server } from 'socket.io'
import { clock, serveParent } from '../lib/ipc.mjs'
import { windowedPump } from '../lib/windowed-pump.mjs'

const redisPackage = fileURLToPath(new URL('../../packages/redis/', import.meta.url))
const require = createRequire(`${redisPackage}package.json`)
const listenOptions = { host: '127.0.0.1', backlog: 4096 }

let node
let progress = () => {}

serveParent(
  {
    async start({ impl, redisUrl, prefix }) {
      node = await starters[impl]({ redisUrl, prefix })
      return { port: node.port, pid: process.pid }
    },
    connections: () => node.connections(),
    cpuStart() {
      node.cpuAtStart = process.cpuUsage()
      node.bytesAtStart = node.redisBytes()
    },
    cpuStop() {
      const { user, system } = process.cpuUsage(node.cpuAtStart)
      return { cpuUs: user + system, redisBytes: node.redisBytes() - node.bytesAtStart }
    },
    fanout,
    progress({ completed }) {
      progress(completed)
    },
    async close() {
      await node.close()
      setImmediate(() => process.exit(0))
    },
  },
  { maxLifetimeMs: 15 * 60_000 },
)

/** Bytes a client's socket read so far, across its reconnects (an ioredis client). */
function socketBytes(client) {
  return client.stream?.bytesRead ?? 0
}

const starters = {
  async 'ours-memory'() {
    return ours(undefined)
  },
  async 'ours-redis'({ redisUrl, prefix }) {
    const { redisAdapter } = await import(`${redisPackage}dist/index.js`)
    const adapter = redisAdapter({ url: redisUrl, prefix })
    const started = await ours(adapter)
    return { ...started, redisBytes: () => adapter.stats.bytesReceived }
  },
  async 'socketio-redis'({ redisUrl, prefix }) {
    const { Redis } = require('ioredis')
    const { createAdapter } = require('@socket.io/redis-adapter')
    const pub = new Redis(redisUrl)
    const sub = pub.duplicate()
    return socketio(createAdapter(pub, sub, { key: prefix }), [pub, sub])
  },
  async 'socketio-streams'({ redisUrl, prefix }) {
    const { Redis } = require('ioredis')
    const { createAdapter } = require('@socket.io/redis-streams-adapter')
    const client = new Redis(redisUrl)
    const clients = [client]
    // The adapter reads with a duplicate of the client (XREAD BLOCK): count its bytes too.
    const duplicate = client.duplicate.bind(client)
    client.duplicate = (...args) => {
      const copy = duplicate(...args)
      clients.push(copy)
      return copy
    }
    return socketio(createAdapter(client, { streamName: `${prefix}stream` }), clients)
  },
}

async function ours(adapter) {
  const rt = new RealtimeServer({ rateLimit: false, ...(adapter === undefined ? {} : { adapter }) })
  rt.on('connection', (conn) => conn.join('room'))
  const port = await rt.listen(0, listenOptions)
  return {
    port,
    broadcast: (data) => rt.to('room').emit('m', data),
    connections: () => rt.connections.size,
    redisBytes: () => 0,
    close: () => rt.close(),
  }
}

async function socketio(adapter, clients) {
  const http = createServer()
  const io = new Server(http, { transports: ['websocket'], serveClient: false, adapter })
  io.on('connection', (socket) => socket.join('room'))
  await new Promise((resolve) => http.listen({ port: 0, ...listenOptions }, resolve))
  return {
    port: http.address().port,
    broadcast: (data) => io.to('room').emit('m', data),
    connections: () => io.of('/').sockets.size,
    redisBytes: () => clients.reduce((sum, client) => sum + socketBytes(client), 0),
    close: async () => {
      await new Promise((resolve) => io.close(() => resolve()))
      for (const client of clients) client.disconnect()
    },
  }
}

/**
 * Broadcasts `msgs` messages `{ seq, text }` to the room, as bench/server.mjs does: up to `burst`
 * per event-loop turn, never more than `window` ahead of the last one every receiver on every
 * node has (the orchestrator reports the slowest node's progress). Resolves when all have all.
 */
function fanout({ msgs, window, burst, text }) {
  return new Promise((resolve) => {
    const startedAt = clock()
    progress = windowedPump({ msgs, window, burst }, (seq) => node.broadcast({ seq, text }), () => {
      resolve({ startedAt })
    })
  })
}
