/**
 * Load process of one benchmark run: `node bench/load.mjs`, driven by bench/run.mjs over IPC.
 * Holds many lean connections (raw `ws` sockets, or raw HTTP requests for our SSE and
 * long-polling transports: lib/http-conns.mjs) that speak the implementation's protocol
 * (lib/protocols.mjs), and checks every message it receives: a loss, a duplicate, a reordering
 * or a wrong answer fails the run.
 */
import { WebSocket } from 'ws'
import { dialEngineIoPolling } from './lib/engineio-polling.mjs'
import { dialPlainHttp, dialPolling, dialSse } from './lib/http-conns.mjs'
import { clock, notifyParent, serveParent } from './lib/ipc.mjs'
import { protocols } from './lib/protocols.mjs'
import { percentile } from './lib/stats.mjs'

let proto
let baseUrl
/** @type {Array<{ send: (text: string) => void, onApp: (text: string) => void }>} */
const conns = []
/** The first failure; each waiting command rejects with it. */
let failure
let onFailure = () => {}

function fail(error) {
  failure ??= error instanceof Error ? error : new Error(String(error))
  onFailure(failure)
}

/** Opens one connection and resolves once the protocol's handshake is done. */
function dial() {
  if (proto.transport !== undefined) return dialHttp()
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(baseUrl, { perMessageDeflate: false })
    const conn = { ws, send: (text) => ws.send(text), ready: false, onApp: () => fail(new Error('application frame before the scenario started')) }
    const ready = () => {
      conn.ready = true
      resolve(conn)
    }
    ws.on('open', () => {
      proto.open(ws)
      if (proto.ready === 'open') ready()
    })
    ws.on('message', (data) => {
      const text = String(data)
      try {
        const handled = proto.control(ws, text)
        if (handled === 'ready') ready()
        else if (!handled) conn.onApp(text)
      } catch (error) {
        fail(error)
      }
    })
    ws.on('error', (error) => (conn.ready ? fail(error) : reject(error)))
    ws.on('close', (code) => {
      if (conn.ready && !closing) fail(new Error(`a connection closed during the run (code ${code})`))
      else if (!conn.ready) reject(new Error(`closed during the handshake (code ${code})`))
    })
  })
}

/**
 * The same over our SSE or long-polling transport (lib/http-conns.mjs): open the HTTP session
 * (with `hello=1` in the URL), wait for `welcome` to come down.
 */
function dialHttp() {
  return new Promise((resolve, reject) => {
    const conn = { ready: false, onApp: () => fail(new Error('application frame before the scenario started')) }
    const open = { sse: dialSse, polling: dialPolling, 'eio-polling': dialEngineIoPolling, http: dialPlainHttp }[proto.transport]
    // Socket.IO's long-polling takes tens of seconds for a storm of 2,000 on this machine.
    const timer = setTimeout(() => reject(new Error('no welcome within 90 s')), 90_000)
    const handlers = {
      onFrame(text) {
        try {
          const handled = proto.control(conn, text)
          if (handled === 'ready') {
            clearTimeout(timer)
            conn.ready = true
            resolve(conn)
          } else if (!handled) conn.onApp(text)
        } catch (error) {
          fail(error)
        }
      },
      onClose(reason) {
        if (conn.ready && !closing) fail(new Error(`a connection closed during the run (${reason})`))
        else if (!conn.ready) reject(new Error(`closed during the handshake (${reason})`))
      },
      onError(error) {
        if (closing) return
        if (conn.ready) fail(error)
        else reject(error)
      },
    }
    open(baseUrl, handlers, { query: proto.query }).then((http) => {
      conn.send = http.send
      proto.open(conn)
      // Nothing to wait for (no session, no welcome): ready once dialled.
      if (proto.ready === 'open') {
        clearTimeout(timer)
        conn.ready = true
        resolve(conn)
      }
    }, reject)
  })
}

let closing = false
const STALL_MS = 10_000
let fanoutDone

serveParent(
  {
    setup({ impl, port }) {
      proto = protocols[impl]
      baseUrl = `${proto.transport === undefined ? 'ws' : 'http'}://127.0.0.1:${port}${proto.path}`
      // An HTTP session's requests share the base URL; only the one that opens it takes the query.
      if (proto.query !== undefined && proto.transport === undefined) baseUrl += `?${proto.query}`
    },

    /** Opens `count` connections, at most `concurrency` handshakes at a time. */
    async connect({ count, concurrency }) {
      const startedAt = clock()
      const cpu = process.cpuUsage()
      let next = 0
      const worker = async () => {
        while (next < count) {
          next++
          conns.push(await dial())
        }
      }
      await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
      const ms = clock() - startedAt
      const { user, system } = process.cpuUsage(cpu)
      return { ms, open: conns.length, loadCpu: (user + system) / 1000 / ms }
    },

    /** Starts checking a fan-out of `msgs` messages (see fanoutReceive). */
    fanoutArm({ msgs, textLength }) {
      fanoutDone = fanoutReceive(msgs, textLength)
      fanoutDone.catch(() => {})
    },

    /** Resolves when the armed fan-out is complete. */
    fanoutWait: () => fanoutDone,

    /**
     * Each connection sends `rate` echo requests per second for `durationMs`, spread evenly
     * (connection i starts i/N of an interval late), and checks that each answer carries its
     * request's id and data. Resolves once every request is answered, with the RTTs.
     */
    echo({ rate, durationMs, text, drainMs }) {
      const perConn = Math.floor((rate * durationMs) / 1000)
      const intervalMs = 1000 / rate
      const rtts = new Float64Array(perConn * conns.length)
      let answered = 0
      let timer
      return new Promise((resolve, reject) => {
        onFailure = (error) => {
          clearTimeout(timer)
          reject(error)
        }
        if (failure) return reject(failure)
        const t0 = performance.now()
        const cpu = process.cpuUsage()
        const state = conns.map((conn, i) => {
          const s = { conn, sent: 0, nextAt: t0 + (i / conns.length) * intervalMs, sentAt: new Float64Array(perConn + 1) }
          conn.onApp = (raw) => {
            const { id, data } = proto.reply(raw)
            if (!(id >= 1 && id <= s.sent) || s.sentAt[id] === 0) throw new Error(`echo: unexpected answer id ${id}`)
            if (data?.n !== id || data.text !== text) throw new Error(`echo: answer ${id} does not carry the request's data`)
            rtts[answered++] = performance.now() - s.sentAt[id]
            s.sentAt[id] = 0
            if (answered === rtts.length) finish()
          }
          return s
        })
        const finish = () => {
          clearTimeout(timer)
          const sorted = rtts.sort()
          const { user, system } = process.cpuUsage(cpu)
          const wallMs = performance.now() - t0
          resolve({
            roundTrips: answered,
            wallMs,
            loadCpu: (user + system) / 1000 / wallMs,
            p50: percentile(sorted, 0.5),
            p99: percentile(sorted, 0.99),
            max: sorted[sorted.length - 1],
          })
        }
        const deadline = t0 + durationMs + drainMs
        const tick = () => {
          const now = performance.now()
          for (const s of state) {
            while (s.sent < perConn && s.nextAt <= now) {
              const id = ++s.sent
              s.sentAt[id] = performance.now()
              s.conn.send(proto.request(id, { n: id, text }))
              s.nextAt += intervalMs
            }
          }
          if (now > deadline) return fail(new Error(`echo: ${rtts.length - answered} of ${rtts.length} requests unanswered after ${drainMs} ms`))
          timer = setTimeout(tick, 1)
        }
        tick()
      })
    },

    exit() {
      closing = true
      setImmediate(() => process.exit(0))
    },
  },
  { maxLifetimeMs: 15 * 60_000 },
)

/**
 * Expects messages `{ seq: 0…msgs-1, text }` on every connection, in order. Reports through
 * `progress` how many messages every connection has, and resolves when that reaches `msgs`.
 */
function fanoutReceive(msgs, textLength) {
  const total = conns.length
  const got = new Uint32Array(msgs)
  let completed = 0
  let reported = 0
  let reportScheduled = false
  let endedAt = 0
  const cpu = process.cpuUsage()
  const startedAt = clock()
  let lastArrival = performance.now()
  return new Promise((resolve, reject) => {
    // A message lost at the end leaves no gap to notice: give up once nothing arrives for 10 s.
    const stall = setInterval(() => {
      if (performance.now() - lastArrival < STALL_MS) return
      const behind = conns.filter((conn) => conn.expected < msgs).length
      fail(new Error(`fan-out: ${behind} receivers still miss messages after ${STALL_MS} ms without traffic (lost)`))
    }, 1000)
    onFailure = (error) => {
      clearInterval(stall)
      reject(error)
    }
    if (failure) return onFailure(failure)
    const report = () => {
      reportScheduled = false
      if (completed === reported) return
      reported = completed
      notifyParent('progress', { completed })
      if (completed !== msgs) return
      clearInterval(stall)
      const { user, system } = process.cpuUsage(cpu)
      resolve({ endedAt, deliveries: total * msgs, loadCpu: (user + system) / 1000 / (clock() - startedAt) })
    }
    for (const conn of conns) {
      conn.expected = 0
      conn.onApp = (text) => {
        lastArrival = performance.now()
        const data = proto.broadcast(text)
        if (data.seq !== conn.expected) {
          throw new Error(`fan-out: a receiver got message ${data.seq} when ${conn.expected} was due (lost or out of order)`)
        }
        if (data.text.length !== textLength) throw new Error(`fan-out: message ${data.seq} arrived damaged`)
        conn.expected++
        if (++got[data.seq] === total) {
          while (completed < msgs && got[completed] === total) completed++
          if (completed === msgs) endedAt = clock()
          if (!reportScheduled) {
            reportScheduled = true
            setImmediate(report)
          }
        }
      }
    }
  })
}
