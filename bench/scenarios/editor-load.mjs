/**
 * Load process of the editor scenario: `node editor-load.mjs`. Clients as an application has
 * them: for ours `RealtimeClient` (WebSocket) with `document(client, id)` of `@org/realtime-ot`
 * (built `dist`); for ShareDB its client `Connection` on a `ws` WebSocket with `ot-text-unicode`.
 * Commands:
 * - prepare { impl, port, editors, initialText }: `editors` clients, each on its own connection and
 *   document, each inserting one character (at the start), waiting for the server's
 *   acknowledgement, then the next; for a second of warm-up.
 * - measure { impl, seconds } → { roundTrips, seconds, cpuUs, lengths, p50Ms, p99Ms }: the same for
 *   `seconds`, with this process's CPU time; then checks that every document grew by exactly the
 *   acknowledged edits (the caller compares `lengths` with the server's documents).
 * - open { impl, port, count, initialText, prefix } → { opened }: one connection opens `count`
 *   documents (`<prefix>-<n>`) and keeps them open (subscribed), for the server's heap to be measured.
 * - closeAll, exit
 */
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { WebSocket } from 'ws'
import { serveParent } from '../lib/ipc.mjs'
import { percentile } from '../lib/stats.mjs'

const require = createRequire(new URL('../../packages/ot/package.json', import.meta.url))
const closers = []
/** The editors of `prepare`, for `measure`. */
let editorsReady = []

async function oursClient(port) {
  const { RealtimeClient } = await import('@org/realtime-client')
  const client = new RealtimeClient(`http://127.0.0.1:${port}/realtime`)
  closers.push(() => client.disconnect())
  return client
}

/** `BENCH_OT_CLIENT=<path>` loads another build of the client entry (to compare two builds in one run). */
async function oursDocument() {
  const file = process.env.BENCH_OT_CLIENT === undefined ? new URL('../../packages/ot/dist/client.js', import.meta.url).href : pathToFileURL(process.env.BENCH_OT_CLIENT).href
  return (await import(file)).document
}

/** Our client: inserts at the start and waits until the document is synchronized again. */
async function oursEditors(port, editors) {
  const document = await oursDocument()
  return Promise.all(
    Array.from({ length: editors }, async (_, i) => {
      const doc = document(await oursClient(port), `bench-${i}`, { ackTimeoutMs: 30_000 })
      await doc.ready
      return {
        edit: () =>
          new Promise((resolve) => {
            const onStatus = (status) => {
              if (status !== 'synchronized') return
              doc.off('status', onStatus)
              resolve()
            }
            doc.on('status', onStatus)
            doc.insert(0, 'x')
          }),
        text: () => doc.text,
      }
    }),
  )
}

function shareDbConnection(port) {
  const { Connection } = require('sharedb/lib/client')
  const types = require('sharedb/lib/types')
  if (!types.map['http://sharejs.org/types/text-unicode']) types.register(require('ot-text-unicode').type)
  const socket = new WebSocket(`ws://127.0.0.1:${port}`)
  const connection = new Connection(socket)
  closers.push(() => connection.close())
  return connection
}

const call = (fn) => new Promise((resolve, reject) => fn((error) => (error ? reject(error) : resolve())))

/** A ShareDB document subscribed, created with `initialText` when it does not exist yet. */
async function shareDbDoc(connection, id, initialText) {
  const doc = connection.get('bench', id)
  await call((cb) => doc.subscribe(cb))
  if (doc.type === null) await call((cb) => doc.create(initialText, 'http://sharejs.org/types/text-unicode', cb))
  return doc
}

/** ShareDB's client: submits an insert at the start; its callback is the server's acknowledgement. */
async function shareDbEditors(port, editors, initialText) {
  return Promise.all(
    Array.from({ length: editors }, async (_, i) => {
      const doc = await shareDbDoc(shareDbConnection(port), `bench-${i}`, initialText)
      return {
        edit: () => call((cb) => doc.submitOp(['x'], cb)),
        text: () => doc.data,
      }
    }),
  )
}

serveParent(
  {
    async prepare({ impl, port, editors, initialText }) {
      editorsReady = impl === 'ours' ? await oursEditors(port, editors) : await shareDbEditors(port, editors, initialText)
      // Warm up for a second.
      const warmUntil = performance.now() + 1000
      await Promise.all(editorsReady.map(async (editor) => { while (performance.now() < warmUntil) await editor.edit() }))
      return { editors: editorsReady.length }
    },
    async measure({ impl, seconds }) {
      const all = editorsReady
      const latencies = []
      const counts = all.map(() => 0)
      let stop = false
      const loop = async (editor, i) => {
        while (!stop) {
          const start = performance.now()
          await editor.edit()
          latencies.push(performance.now() - start)
          counts[i]++
        }
      }
      const before = all.map((editor) => [...editor.text()].length)
      const cpu = process.cpuUsage()
      const started = performance.now()
      const timer = setTimeout(() => (stop = true), seconds * 1000)
      await Promise.all(all.map(loop))
      clearTimeout(timer)
      const elapsed = (performance.now() - started) / 1000
      const { user, system } = process.cpuUsage(cpu)
      for (const [i, editor] of all.entries()) {
        const length = [...editor.text()].length
        if (length !== before[i] + counts[i]) throw new Error(`${impl}: document ${i} has ${length} characters, expected ${before[i] + counts[i]}`)
      }
      latencies.sort((a, b) => a - b)
      return {
        roundTrips: counts.reduce((a, b) => a + b, 0),
        seconds: elapsed,
        cpuUs: user + system,
        lengths: all.map((editor) => [...editor.text()].length),
        p50Ms: percentile(latencies, 0.5),
        p99Ms: percentile(latencies, 0.99),
      }
    },
    async open({ impl, port, count, initialText, prefix = 'open' }) {
      if (impl === 'ours') {
        const document = await oursDocument()
        const client = await oursClient(port)
        const docs = []
        for (let i = 0; i < count; i += 100) {
          const batch = Array.from({ length: Math.min(100, count - i) }, (_, k) => document(client, `${prefix}-${i + k}`))
          await Promise.all(batch.map((doc) => doc.ready))
          docs.push(...batch)
        }
        return { opened: docs.filter((doc) => doc.text === initialText).length }
      }
      const connection = shareDbConnection(port)
      const docs = []
      for (let i = 0; i < count; i += 100) {
        docs.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, k) => shareDbDoc(connection, `${prefix}-${i + k}`, initialText)))))
      }
      return { opened: docs.filter((doc) => doc.data === initialText).length }
    },
    closeAll() {
      for (const close of closers.splice(0)) close()
    },
    exit() {
      process.exit(0)
    },
  },
  { maxLifetimeMs: 30 * 60_000 },
)
