/**
 * Load process of the presence scenario (bench/scenarios/presence.mjs), driven over IPC: raw `ws`
 * sockets that speak just enough of each implementation's protocol to hold a channel's members and
 * to join it. Members count the bytes and frames they receive during a measured window and how
 * many joins they have seen (every joiner's key starts with `~J`, which appears once per join in
 * our diffs and in Socket.IO's `join` events), without parsing what they receive.
 */
import { WebSocket } from 'ws'
import { clock, serveParent } from '../lib/ipc.mjs'

/** Joiners' keys start with it; a member counts its occurrences in what it receives. */
const MARKER = Buffer.from('"~J')

let impl
let port
const members = []
const joiners = []
let failure
let measuring = false
let target = 0
let done = 0
let onAllDone = () => {}
/** Frames every member received since the start, measured or not: `settle` waits for it to stop growing. */
let totalFrames = 0

/** Bytes a server → client WebSocket frame of `length` payload bytes takes on the wire (unmasked). */
function wireBytes(length) {
  return length + (length < 126 ? 2 : length < 65_536 ? 4 : 10)
}

/** Occurrences of `needle` in `bytes`, without decoding them. */
function count(bytes, needle) {
  let found = 0
  for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, at + needle.length)) found++
  return found
}

/** The protocols: how to open, answer heartbeats, send a request and read its answer. */
const protocols = {
  ours: {
    url: () => `ws://127.0.0.1:${port}/realtime`,
    /** A channel event (`[channel, offset, event, data]`): never a control frame. */
    isApp: (bytes) => bytes[0] === 0x5b,
    open: (conn) => conn.ws.send(JSON.stringify({ t: 'hello', v: 1, auth: conn.key })),
    control(conn, text) {
      if (text.charCodeAt(0) === 0x5b) return false
      if (text === '{"t":"ping"}') {
        conn.ws.send('{"t":"pong"}')
        return true
      }
      if (text.startsWith('{"t":"welcome"')) return 'ready'
      if (text.startsWith('{"t":"ack"')) {
        // The answer (a sync's is the whole state) is not needed: only its id, and that it is no refusal.
        const [, id, refused] = /^\{"t":"ack","id":(\d+)(,"err")?/.exec(text.slice(0, 64)) ?? []
        if (id === undefined || refused !== undefined) throw new Error(`refused: ${text.slice(0, 200)}`)
        conn.pending.get(Number(id))?.()
        conn.pending.delete(Number(id))
        return true
      }
      if (text.startsWith('{"t":"error"')) throw new Error(`server error frame: ${text}`)
      return false
    },
    request(conn, frame) {
      const id = ++conn.nextId
      return new Promise((resolve) => {
        conn.pending.set(id, resolve)
        conn.ws.send(JSON.stringify({ ...frame, id }))
      })
    },
    async join(conn, meta, { sync = true, onTrack } = {}) {
      await this.request(conn, { t: 'sub', ch: ['presence:room'] })
      if (sync) await this.request(conn, { t: 'event', e: 'presence:sync', d: { ch: 'room' } })
      onTrack?.()
      await this.request(conn, { t: 'event', e: 'presence:track', d: { ch: 'room', m: meta } })
    },
    setup(conn, meta) {
      // Members subscribe and track. They skip fetching the state, which would send the setup
      // another n²/2 entries and is not what is measured (the joiners fetch it).
      return this.join(conn, meta, { sync: false })
    },
  },
  socketio: {
    url: () => `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`,
    /** An event (`42[…]`, no ack id): never a control packet. */
    isApp: (bytes) => bytes[0] === 0x34 && bytes[1] === 0x32 && bytes[2] === 0x5b,
    open() {},
    control(conn, text) {
      if (text === '2') {
        conn.ws.send('3')
        return true
      }
      if (text[0] === '0') {
        conn.ws.send(`40${JSON.stringify({ userId: conn.key })}`)
        return true
      }
      if (text.startsWith('40')) return 'ready'
      if (text.startsWith('44')) throw new Error(`socket.io connect error: ${text}`)
      if (text.startsWith('43')) {
        const id = Number(/^43(\d+)/.exec(text)?.[1])
        conn.pending.get(id)?.()
        conn.pending.delete(id)
        return true
      }
      return false
    },
    request(conn, event, data) {
      const id = ++conn.nextId
      return new Promise((resolve) => {
        conn.pending.set(id, resolve)
        conn.ws.send(`42${id}${JSON.stringify([event, data])}`)
      })
    },
    join(conn, meta, { onTrack } = {}) {
      onTrack?.()
      return this.request(conn, 'track', meta)
    },
    setup(conn, meta) {
      return this.request(conn, 'track-quiet', meta)
    },
  },
}

function fail(error) {
  failure ??= error instanceof Error ? error : new Error(String(error))
}

/** Opens one connection for `key` and resolves once its handshake is done. */
function dial(key, role) {
  const proto = protocols[impl]
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(proto.url(), { perMessageDeflate: false })
    const conn = { ws, key, role, pending: new Map(), nextId: 0, bytes: 0, frames: 0, seen: 0, done: false, ready: false }
    ws.on('open', () => proto.open(conn))
    ws.on('message', (data) => {
      try {
        if (role === 'member') totalFrames++
        if (measuring) {
          conn.bytes += wireBytes(data.length)
          conn.frames++
        }
        // Application frames are counted as bytes, never decoded: the load process must keep up.
        if (proto.isApp(data)) {
          if (measuring && role === 'member' && !conn.done) {
            conn.seen += count(data, MARKER)
            if (conn.seen >= target) {
              conn.done = true
              if (++done === members.length) onAllDone(clock())
            }
          }
          return
        }
        if (proto.control(conn, String(data)) === 'ready') {
          conn.ready = true
          resolve(conn)
        }
      } catch (error) {
        fail(error)
      }
    })
    ws.on('error', (error) => (conn.ready ? fail(error) : reject(error)))
    ws.on('close', (code) => {
      if (!conn.ready) reject(new Error(`closed during the handshake (code ${code})`))
      else if (!closing) fail(new Error(`a ${role} connection closed during the run (code ${code})`))
    })
  })
}

let closing = false

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once. */
async function pool(count, concurrency, task) {
  let next = 0
  const worker = async () => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

serveParent(
  {
    setup(args) {
      impl = args.impl
      port = args.port
    },
    /** Opens `count` members; each joins the channel (Socket.IO: quietly, see presence-server.mjs). */
    async members({ count: total, concurrency }) {
      const proto = protocols[impl]
      // Every connection first, then every join: the joins' fan-out (each member learns of every
      // other, ~n² entries) does not hold up the handshakes.
      await pool(total, concurrency, async (i) => {
        members[i] = await dial(`m${i}`, 'member')
      })
      await pool(total, concurrency, (i) => proto.setup(members[i], { n: i }))
      if (failure) throw failure
      return { members: members.length }
    },
    /** Opens `count` joiners, connected but not in the channel yet. */
    async joiners({ count: total, concurrency }) {
      await pool(total, concurrency, async (i) => {
        joiners.push(await dial(`~J${i}`, 'joiner'))
      })
      if (failure) throw failure
      return { joiners: joiners.length }
    },
    /** Waits until the members have received nothing new for 500 ms (the setup's diffs are over). */
    async settle({ timeoutMs }) {
      const deadline = Date.now() + timeoutMs
      let last = -1
      while (totalFrames !== last) {
        if (Date.now() > deadline) throw new Error('the setup did not settle')
        last = totalFrames
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
      return { frames: totalFrames }
    },
    /**
     * Joiners `from` to `from + joins - 1` join, spread evenly over `spreadMs`; resolves once every
     * member has seen every one of those joins. `startedAt`: the first join's track (`one`) or the
     * first join's first request (a spread).
     */
    async measure({ from, joins, spreadMs, timeoutMs }) {
      const proto = protocols[impl]
      for (const conn of [...members, ...joiners]) {
        conn.bytes = 0
        conn.frames = 0
        conn.seen = 0
        conn.done = false
      }
      done = 0
      target = joins
      // Past `timeoutMs` the measure stops where it is: `timedOut`, with how much had arrived.
      let timedOut = false
      const finished = new Promise((resolve) => {
        onAllDone = resolve
        setTimeout(() => {
          timedOut = true
          resolve(clock())
        }, timeoutMs).unref()
      })
      measuring = true
      let startedAt
      const started = clock()
      const joining = []
      for (let i = 0; i < joins; i++) {
        const due = started + (joins === 1 ? 0 : (i * spreadMs) / joins)
        const wait = due - clock()
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
        const conn = joiners[from + i]
        if (conn === undefined) throw new Error(`no joiner ${from + i}`)
        joining.push(proto.join(conn, { n: from + i }, { onTrack: () => (startedAt ??= clock()) }))
      }
      if (joins > 1) startedAt = started
      const endedAt = await finished
      measuring = false
      if (!timedOut) await Promise.all(joining)
      if (failure) throw failure
      const sum = (list, key) => list.reduce((total, conn) => total + conn[key], 0)
      return {
        startedAt,
        endedAt,
        memberBytes: sum(members, 'bytes'),
        memberFrames: sum(members, 'frames'),
        joinerBytes: sum(joiners.slice(from, from + joins), 'bytes'),
        timedOut,
        /** Of the joins every member should have seen, the share they had. */
        delivered: Math.min(1, sum(members, 'seen') / (members.length * joins)),
      }
    },
    exit() {
      closing = true
      for (const conn of [...members, ...joiners]) conn.ws.terminate()
      setImmediate(() => process.exit(0))
    },
  },
  { maxLifetimeMs: 30 * 60_000 },
)
