#!/usr/bin/env node
/**
 * Database changes (issue 19): PostgreSQL commit → @org/realtime-postgres → 1,000 subscribers.
 *
 *   node bench/scenarios/db-changes.mjs           quick: 200 subscribers, 300 rows
 *   node bench/scenarios/db-changes.mjs --full    1,000 subscribers, 1,000 rows
 *
 * Needs `pnpm build` and PostgreSQL with wal_level=logical on PGHOST/PGPORT (default
 * 127.0.0.1:5432, user postgres). It makes a database of its own and drops it after. The server
 * runs in a child process (db-server.mjs); the subscribers are RealtimeClients in this one.
 *
 * Measures, for changes committed by 4 concurrent writers (one transaction per row):
 * - unfiltered: every subscriber on `db:public:bench`: changes/s fully delivered, deliveries/s,
 *   latency p50/p99 from just before the commit to the subscriber;
 * - filtered: 100 distinct filters `k=eq.N`, subscribers spread over them (each row reaches 1%);
 * - filterRow: unfiltered with a filterRow and 2 identities: its calls per change (expected 2);
 * - writer: inserts/s with the plugin attached vs without (no slot), 4 writers, no subscribers.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { RealtimeClient } from '@org/realtime-client'
import pg from '../../packages/postgres/node_modules/pg/lib/index.js'
import { dropPostgresChanges, setupPostgresChanges } from '../../packages/postgres/dist/index.js'
import { percentile } from '../lib/stats.mjs'

const full = process.argv.includes('--full')
const SUBSCRIBERS = full ? 1000 : 200
const ROWS = full ? 1000 : 300
const WRITER_ROWS = full ? 5000 : 1000
const WRITERS = 4
const host = process.env.PGHOST || '127.0.0.1'
const port = process.env.PGPORT || '5432'
const user = process.env.PGUSER || 'postgres'
const dbName = `rtbench_${Math.floor(Date.now() / 1000)}`
const url = (db) => `postgres://${user}@${host}:${port}/${db}`

function startServer() {
  const child = fork(fileURLToPath(new URL('./db-server.mjs', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let next = 0
  const pending = new Map()
  child.on('message', ({ id, result, error }) => {
    const call = pending.get(id)
    pending.delete(id)
    if (error) call?.reject(new Error(error))
    else call?.resolve(result)
  })
  const call = (method, args = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next
      pending.set(id, { resolve, reject })
      child.send({ id, method, args })
    })
  return { call, kill: () => child.kill() }
}

/** Inserts `rows` rows with `WRITERS` connections, one transaction each; resolves with the ms it took. */
async function write(pool, rows, k = (i) => i % 100) {
  let n = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let i = n++; i < rows; i = n++) await pool.query('INSERT INTO bench (k, t, body) VALUES ($1, $2, $3)', [k(i), Date.now(), 'x'.repeat(80)])
    }),
  )
  return performance.now() - started
}

async function subscribers(serverPort, count, channelOf, userOf = () => 'anon') {
  const clients = []
  const latencies = []
  let deliveries = 0
  for (let i = 0; i < count; i++) {
    const client = new RealtimeClient(`http://127.0.0.1:${serverPort}/realtime`, { auth: { user: userOf(i) } })
    const channel = client.channel(channelOf(i))
    channel.on('INSERT', (change) => {
      deliveries++
      latencies.push(Date.now() - change.new.t)
    })
    clients.push({ client, channel })
  }
  for (let i = 0; i < clients.length; i += 100) await Promise.all(clients.slice(i, i + 100).map(({ channel }) => channel.subscribe()))
  return {
    get deliveries() {
      return deliveries
    },
    latencies,
    close: () => clients.forEach(({ client }) => client.disconnect()),
  }
}

async function waitFor(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

async function scenario(db, name, { channelOf, userOf, filterRow = false, expectedPerRow }) {
  const names = { slot: `${dbName}_${name.toLowerCase()}`, publication: `bench_${name.toLowerCase()}` }
  await setupPostgresChanges({ connectionString: url(dbName), tables: ['bench'], ...names })
  const server = startServer()
  try {
    const { port: serverPort } = await server.call('start', { connectionString: url(dbName), filterRow, ...names })
    const subs = await subscribers(serverPort, SUBSCRIBERS, channelOf, userOf)
    await server.call('cpuReset')
    const started = performance.now()
    await write(db, ROWS)
    const expected = ROWS * expectedPerRow
    await waitFor(() => subs.deliveries >= expected, 180_000, `${name}: ${expected} deliveries`)
    const seconds = (performance.now() - started) / 1000
    const { cpuUs, filterRowCalls } = await server.call('cpu')
    const sorted = subs.latencies.sort((a, b) => a - b)
    subs.close()
    await server.call('stop')
    return {
      scenario: name,
      subscribers: SUBSCRIBERS,
      rows: ROWS,
      changesPerSec: Math.round(ROWS / seconds),
      deliveriesPerSec: Math.round(subs.deliveries / seconds),
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      serverCpuUsPerChange: Math.round(cpuUs / ROWS),
      ...(filterRow ? { filterRowCallsPerChange: filterRowCalls / ROWS } : {}),
    }
  } finally {
    server.kill()
    await dropPostgresChanges({ connectionString: url(dbName), ...names })
  }
}

async function writerThroughput(db) {
  const without = await write(db, WRITER_ROWS)
  const names = { slot: `${dbName}_writer`, publication: 'bench_writer' }
  await setupPostgresChanges({ connectionString: url(dbName), tables: ['bench'], ...names })
  const server = startServer()
  try {
    await server.call('start', { connectionString: url(dbName), ...names })
    const withPlugin = await write(db, WRITER_ROWS)
    await server.call('stop')
    return { scenario: 'writer', rows: WRITER_ROWS, insertsPerSecWithout: Math.round(WRITER_ROWS / (without / 1000)), insertsPerSecWithPlugin: Math.round(WRITER_ROWS / (withPlugin / 1000)) }
  } finally {
    server.kill()
    await dropPostgresChanges({ connectionString: url(dbName), ...names })
  }
}

const admin = new pg.Client({ connectionString: url('postgres') })
await admin.connect()
await admin.query(`CREATE DATABASE "${dbName}"`)
const db = new pg.Pool({ connectionString: url(dbName), max: WRITERS })
db.on('error', () => undefined)
const results = []
try {
  await db.query('CREATE TABLE bench (id bigserial PRIMARY KEY, k int NOT NULL, t bigint NOT NULL, body text NOT NULL)')
  const say = (result) => (results.push(result), console.error(JSON.stringify(result)))
  say(await scenario(db, 'unfiltered', { channelOf: () => 'db:public:bench', expectedPerRow: SUBSCRIBERS }))
  say(await scenario(db, 'filtered', { channelOf: (i) => `db:public:bench?filter=k=eq.${i % 100}`, expectedPerRow: SUBSCRIBERS / 100 }))
  say(
    await scenario(db, 'filterRow', {
      channelOf: () => 'db:public:bench',
      userOf: (i) => (i % 2 === 0 ? 'even' : 'odd'),
      filterRow: true,
      // Rows with an odd k reach only the "even" half.
      expectedPerRow: SUBSCRIBERS * 0.75,
    }),
  )
  say(await writerThroughput(db))
} finally {
  await db.end()
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`)
  await admin.end()
}
console.log(JSON.stringify(results, null, 2))
for (const result of results) console.log(Object.entries(result).map(([key, value]) => `${key}=${value}`).join(' '))
