/**
 * Server process of the editor scenario: `node editor-server.mjs <ours|sharedb>`.
 * - ours: `RealtimeServer` with the `documents()` plugin of `@org/realtime-ot` (its built `dist`),
 *   in-memory storage, over WebSocket; the per-connection limits a benchmark from one address
 *   would hit are raised (`rateLimit: false`, `requestsPerSecond`, `maxDocumentsPerConnection`).
 * - sharedb: ShareDB 7 with its in-memory backend and the `ot-text-unicode` type (ShareDB's plain
 *   text type), over a `ws` server; each socket is wrapped in an object-mode Duplex stream, as
 *   `@teamwork/websocket-json-stream` does (that package is not installed here; the wrapper below is
 *   its 30 lines), and handed to `backend.listen(stream)`.
 * Every document starts as the same `initialText`: for ours the plugin's `load` gives it, for
 * ShareDB the load process creates the document with it.
 * Commands: start → { port }, cpuStart, cpuStop → { cpuUs }, lengths { ids } → code points of
 * each document, heap → bytes of heap after a full GC, close.
 */
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { serveParent } from '../lib/ipc.mjs'

const impl = process.argv[2]
const require = createRequire(new URL('../../packages/ot/package.json', import.meta.url))
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc')

let close = async () => {}
let cpu
/** Length of each open document, by id (ours: the plugin's `read`; ShareDB: its in-memory snapshots). */
let lengthOf = async () => undefined

async function startOurs({ initialText, documentCount }) {
  const { RealtimeServer } = await import('@org/realtime-server')
  const { documents } = await import(new URL('../../packages/ot/dist/server.js', import.meta.url).href)
  const docs = documents({
    load: () => initialText,
    logger: false,
    maxDocumentsPerConnection: documentCount + 10,
    requestsPerSecond: 1e9,
    requestBurst: 1e9,
    maxQueuedSubmits: 1e6,
  })
  const rt = new RealtimeServer({ rateLimit: false, authorize: () => true, plugins: [docs] })
  const port = await rt.listen(0, { host: '127.0.0.1' })
  close = () => rt.close()
  lengthOf = async (id) => [...(await docs.read(id)).text].length
  return { port }
}

/** A `ws` socket as an object-mode Duplex of JSON messages (what @teamwork/websocket-json-stream does). */
class WebSocketJSONStream extends Duplex {
  constructor(ws) {
    super({ objectMode: true })
    this.ws = ws
    ws.on('message', (data) => this.push(JSON.parse(data.toString())))
    ws.on('close', () => {
      this.push(null)
      this.destroy()
    })
  }
  _read() {}
  _write(message, _encoding, callback) {
    this.ws.send(JSON.stringify(message), callback)
  }
  _final(callback) {
    this.ws.close()
    callback()
  }
}

async function startShareDb() {
  const ShareDB = require('sharedb')
  ShareDB.types.register(require('ot-text-unicode').type)
  // In memory (ShareDB's MemoryDB and in-process pub/sub). The load process creates each document
  // with `initialText` when its first subscribe finds none.
  const backend = new ShareDB()
  const http = createServer()
  const wss = new WebSocketServer({ server: http })
  wss.on('connection', (ws) => backend.listen(new WebSocketJSONStream(ws)))
  const reader = backend.connect()
  lengthOf = (id) =>
    new Promise((resolve, reject) => {
      const doc = reader.get('bench', id)
      doc.fetch((error) => (error ? reject(error) : resolve([...doc.data].length)))
    })
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve))
  close = async () => {
    for (const ws of wss.clients) ws.terminate()
    await new Promise((resolve) => backend.close(resolve))
    await new Promise((resolve) => http.close(resolve))
  }
  return { port: http.address().port }
}

serveParent(
  {
    start: (args) => (impl === 'ours' ? startOurs(args) : impl === 'sharedb' ? startShareDb(args) : Promise.reject(new Error(`unknown implementation ${impl}`))),
    cpuStart() {
      cpu = process.cpuUsage()
    },
    cpuStop() {
      const { user, system } = process.cpuUsage(cpu)
      return { cpuUs: user + system }
    },
    lengths: ({ ids }) => Promise.all(ids.map((id) => lengthOf(id))),
    heap() {
      for (let i = 0; i < 3; i++) globalThis.gc()
      return process.memoryUsage().heapUsed
    },
    async close() {
      await close()
      setImmediate(() => process.exit(0))
    },
  },
  { maxLifetimeMs: 30 * 60_000 },
)
