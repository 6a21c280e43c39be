#!/usr/bin/env node
/**
 * Scaling out: fan-out to one room whose clients are spread evenly over 2 or 3 nodes, each node
 * its own process, over Redis; against 1 node in memory, and against Socket.IO 4.8 with
 * `@socket.io/redis-adapter` (classic pub/sub) and `@socket.io/redis-streams-adapter` on the
 * same layout. Every multi-node layout has one more node with clients of its own but none in the
 * room, to show what a node without members receives.
 *
 * For each: deliveries/s (every message to every client, from the first broadcast until the last
 * client has the last message), the CPU of every node per delivery, and the bytes each node read
 * from Redis per message (members' nodes, and the node without members).
 *
 * `pnpm build` first, then `node bench/scenarios/redis-fanout.mjs [--full] [--runs N]
 * [--impls ours-memory,ours-redis-2,...]`. Uses the Redis server at REDIS_URL (default
 * redis://127.0.0.1:6379), under a key prefix of its own that it removes afterwards.
 */
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { spawnChild } from '../lib/ipc.mjs'
import { summarize } from '../lib/stats.mjs'

const nodeFile = fileURLToPath(new URL('./redis-node.mjs', import.meta.url))
const loadFile = fileURLToPath(new URL('../load.mjs', import.meta.url))
const require = createRequire(fileURLToPath(new URL('../../packages/redis/package.json', import.meta.url)))
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
// {"seq":1234,"text":"xxx…"} is about 100 bytes of JSON.
const TEXT = 'x'.repeat(80)

/** Implementation ids: kind and number of nodes with members. */
const labels = {
  'ours-memory': 'ours, 1 node in memory',
  'ours-redis-2': 'ours, 2 nodes + Redis',
  'ours-redis-3': 'ours, 3 nodes + Redis',
  'socketio-redis-2': 'Socket.IO redis-adapter, 2 nodes',
  'socketio-redis-3': 'Socket.IO redis-adapter, 3 nodes',
  'socketio-streams-2': 'Socket.IO streams-adapter, 2 nodes',
  'socketio-streams-3': 'Socket.IO streams-adapter, 3 nodes',
}

function layoutOf(impl) {
  const match = /^(ours-memory|ours-redis|socketio-redis|socketio-streams)(?:-(\d))?$/.exec(impl)
  if (match === null) throw new Error(`unknown implementation ${impl}`)
  const kind = match[1]
  const members = Number(match[2] ?? 1)
  return { kind, members, idle: kind === 'ours-memory' ? 0 : 1, protocol: kind.startsWith('ours') ? 'ours' : 'socketio' }
}

const scenario = {
  name: 'redis-fanout',
  title: (size) => `scale-out fan-out: 1 publisher → room of ${size.clients.toLocaleString('en')} clients over N nodes, ${size.msgs.toLocaleString('en')} msgs of ~100 B`,
  impls: Object.keys(labels),
  labels,
  sizes: {
    quick: { clients: 300, msgs: 500, warmup: 100, window: 256, burst: 16 },
    full: { clients: 1200, msgs: 2000, warmup: 200, window: 256, burst: 16 },
  },
  metrics: [
    { key: 'deliveriesPerSec', label: 'deliveries/s', better: 'higher', digits: 0 },
    { key: 'cpuPerDelivery', label: 'CPU µs per delivery, all nodes', better: 'lower', digits: 2 },
    { key: 'memberBytesPerMsg', label: 'bytes from Redis per message, per node with members', better: 'lower', digits: 0 },
    { key: 'idleBytesPerMsg', label: 'bytes from Redis per message, node without members', better: 'lower', digits: 0 },
  ],
  async run(impl, size) {
    const layout = layoutOf(impl)
    const prefix = `bench-redis:${randomBytes(6).toString('base64url')}:`
    const nodes = []
    const loads = []
    try {
      for (let i = 0; i < layout.members + layout.idle; i++) {
        nodes.push(spawnChild(nodeFile, [], { name: `node ${i} (${impl})` }))
      }
      const ports = []
      for (const node of nodes) ports.push((await node.call('start', { impl: layout.kind, redisUrl: REDIS_URL, prefix }, 20_000)).port)
      const perNode = Math.ceil(size.clients / layout.members)
      const completed = []
      for (let i = 0; i < layout.members; i++) {
        const load = spawnChild(loadFile, [], { name: `load ${i} (${impl})` })
        loads.push(load)
        completed.push(0)
        await load.call('setup', { impl: layout.protocol, port: ports[i] })
        await load.call('connect', { count: perNode, concurrency: 128 }, 60_000)
        load.on('progress', ({ completed: value }) => {
          completed[i] = value
          nodes[0].notify('progress', { completed: Math.min(...completed) })
        })
      }
      // The node without members still has clients, outside the room.
      for (let i = 0; i < layout.members; i++) {
        const counted = await nodes[i].call('connections')
        if (counted !== perNode) throw new Error(`${impl}: node ${i} counts ${counted} connections, expected ${perNode}`)
      }
      // Let the nodes' subscriptions settle before measuring.
      await new Promise((resolve) => setTimeout(resolve, 300))
      const once = async (msgs) => {
        completed.fill(0)
        for (const load of loads) await load.call('fanoutArm', { msgs, textLength: TEXT.length })
        const received = loads.map((load) => load.call('fanoutWait', {}, 180_000))
        for (const node of nodes) await node.call('cpuStart')
        const sent = await nodes[0].call('fanout', { msgs, window: size.window, burst: size.burst, text: TEXT }, 180_000)
        const got = await Promise.all(received)
        const used = await Promise.all(nodes.map((node) => node.call('cpuStop')))
        return { sent, got, used }
      }
      await once(size.warmup)
      const { sent, got, used } = await once(size.msgs)
      const endedAt = Math.max(...got.map((r) => r.endedAt))
      const deliveries = got.reduce((sum, r) => sum + r.deliveries, 0)
      const members = used.slice(0, layout.members)
      const idle = used.slice(layout.members)
      return {
        deliveriesPerSec: deliveries / ((endedAt - sent.startedAt) / 1000),
        cpuPerDelivery: used.reduce((sum, u) => sum + u.cpuUs, 0) / deliveries,
        memberBytesPerMsg: members.reduce((sum, u) => sum + u.redisBytes, 0) / members.length / size.msgs,
        idleBytesPerMsg: idle.length === 0 ? NaN : idle[0].redisBytes / size.msgs,
      }
    } finally {
      for (const load of loads) load.notify('exit')
      await Promise.all(loads.map((load) => load.stop(10_000).catch(() => {})))
      await Promise.all(nodes.map((node) => node.call('close', {}, 20_000).catch(() => {})))
      await Promise.all(nodes.map((node) => node.stop(10_000).catch(() => {})))
      await removeKeys(prefix)
    }
  },
}

export default scenario

async function removeKeys(prefix) {
  const { Redis } = require('ioredis')
  const redis = new Redis(REDIS_URL)
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.unlink(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

function format(value, digits) {
  if (!Number.isFinite(value)) return '—'
  return value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** Runs the scenario on its own and prints a Markdown table of medians (min–max). */
async function main() {
  const { values } = parseArgs({ options: { full: { type: 'boolean', default: false }, runs: { type: 'string' }, impls: { type: 'string' } } })
  const mode = values.full ? 'full' : 'quick'
  const runs = Number(values.runs ?? (values.full ? 3 : 1))
  const impls = values.impls?.split(',') ?? scenario.impls
  for (const impl of impls) layoutOf(impl)
  const size = scenario.sizes[mode]
  const results = {}
  const started = Date.now()
  console.error(`## ${scenario.title(size)}`)
  for (let round = 0; round < runs; round++) {
    const order = impls.map((_, i) => impls[(i + round) % impls.length])
    for (const impl of order) {
      const result = await scenario.run(impl, size)
      ;(results[impl] ??= []).push(result)
      console.error(`  round ${round + 1}/${runs} ${impl.padEnd(20)} ${scenario.metrics.map((m) => `${m.key} ${format(result[m.key], m.digits)}`).join(', ')}`)
    }
  }
  const lines = [
    `Command: \`node bench/scenarios/redis-fanout.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}\` (${mode}, ${runs} run(s) per implementation, took ${Math.round((Date.now() - started) / 1000)} s)`,
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}; Redis at ${REDIS_URL}; every node, load process and Redis share the machine`,
    '',
    `| ${scenario.title(size)} | ${scenario.metrics.map((m) => `${m.label} ${m.better === 'higher' ? '↑' : '↓'}`).join(' | ')} |`,
    `|---|${scenario.metrics.map(() => '---:').join('|')}|`,
  ]
  for (const impl of impls) {
    const cells = scenario.metrics.map((m) => {
      const s = summarize(results[impl].map((r) => r[m.key]))
      return s.n === 1 || !Number.isFinite(s.median) ? format(s.median, m.digits) : `${format(s.median, m.digits)} (${format(s.min, m.digits)}–${format(s.max, m.digits)})`
    })
    lines.push(`| ${labels[impl]} | ${cells.join(' | ')} |`)
  }
  console.log(lines.join('\n'))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`BENCHMARK FAILED: ${error.stack ?? error}`)
    process.exit(1)
  })
}
