#!/usr/bin/env node
/**
 * Soak: 20,000 WebSocket connections for several minutes, with a steady trickle of broadcasts;
 * the server's memory after gc() over time, and every message checked. One server process holds
 * them all when its descriptor limit allows, else as few processes as can (one per core is how an
 * app runs on this machine anyway), each with its own port, its own share and its own publisher.
 * Never part of the quick or full benchmark: `node bench/soak.mjs`, `node bench/run.mjs --soak` or
 * `pnpm bench --soak`, with
 *
 *   --minutes N          how long the trickle runs (default 5)
 *   --connections N      connections (default 20000)
 *   --servers N          server processes (default: as few as `ulimit -n` allows for the connections;
 *                        with N given, fewer connections if N processes cannot hold them)
 *   --rooms N            rooms, connection i in room i mod N (default 100)
 *   --rate N             broadcasts per second to the rooms, in turn (default 20)
 *   --all-every S        seconds between broadcasts to every connection (default 5)
 *   --sample-seconds S   seconds between memory samples (default 10)
 *   --warmup-seconds S   samples before this are warm-up (default 120: every room's history, kept for
 *                        the 2-minute recovery window, fills meanwhile)
 *   --loads N            load processes, each on its own loopback address 127.0.0.2… (default 2)
 *   --write              replace the soak section of bench/RESULTS.md (between bench:soak markers)
 *   --profile            write a V8 CPU profile of each server to bench/profiles/soak-server-<n>.cpuprofile
 *
 * Processes: bench/soak-server.mjs (with --expose-gc, once per server) and bench/soak-load.mjs (once
 * per load; load i connects to server i mod servers), on 127.0.0.1 only. Exits non-zero when a
 * message is lost, duplicated or damaged, or a connection closes.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { spawnChild } from './lib/ipc.mjs'
import { watchOtherLoad } from './lib/machine.mjs'
import { measuredCommit, writeSection } from './lib/results.mjs'

const serverFile = fileURLToPath(new URL('./soak-server.mjs', import.meta.url))
const loadFile = fileURLToPath(new URL('./soak-load.mjs', import.meta.url))
/** Descriptors the server keeps free beyond those it holds at start (a /proc read, a log file…). */
const FD_MARGIN = 32
const MB = 2 ** 20
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

/** Runs the soak with the command-line arguments `argv`; resolves with the exit code. */
export async function runSoak(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string', default: '5' },
      connections: { type: 'string', default: '20000' },
      rooms: { type: 'string', default: '100' },
      rate: { type: 'string', default: '20' },
      'all-every': { type: 'string', default: '5' },
      'sample-seconds': { type: 'string', default: '10' },
      'warmup-seconds': { type: 'string', default: '120' },
      loads: { type: 'string', default: '2' },
      servers: { type: 'string', default: 'auto' },
      write: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
    },
  })
  const opts = {
    minutes: Number(values.minutes),
    asked: Number(values.connections),
    rooms: Number(values.rooms),
    rate: Number(values.rate),
    allEverySeconds: Number(values['all-every']),
    sampleSeconds: Number(values['sample-seconds']),
    warmupSeconds: Number(values['warmup-seconds']),
    loads: Number(values.loads),
  }
  for (const [name, value] of Object.entries(opts)) if (!(value > 0)) return usage(`--${name} must be a positive number`)
  if (opts.loads > 250) return usage('--loads: at most 250 (one loopback address each)')
  const serversAsked = values.servers === 'auto' ? undefined : Number(values.servers)
  if (serversAsked !== undefined && !(Number.isInteger(serversAsked) && serversAsked > 0)) return usage('--servers must be a positive integer or auto')
  const dist = fileURLToPath(import.meta.resolve('@org/realtime-server'))
  if (!existsSync(dist)) return usage(`${dist} is missing: run \`pnpm build\` first`)

  const fdLimit = Number(execFileSync('/bin/sh', ['-c', 'ulimit -n']).toString().trim())
  const durationMs = opts.minutes * 60_000
  // Children exit by themselves well after the run should have ended.
  const lifetime = String(durationMs + 15 * 60_000)
  const started = Date.now()
  const otherLoad = watchOtherLoad()
  const profileDir = fileURLToPath(new URL('./profiles/', import.meta.url))
  const servers = []
  /** Starts one more server process; resolves with its port and the descriptors it holds. */
  const startServer = async () => {
    const n = servers.length + 1
    const profileFlags = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=soak-server-${n}.cpuprofile`] : []
    const server = spawnChild(serverFile, [lifetime], { execArgv: ['--expose-gc', ...profileFlags], name: `soak server ${n}` })
    servers.push(server)
    return server.call('start', {}, 20_000)
  }
  const loads = []
  let failed = false
  try {
    const first = await startServer()
    // One process cannot hold more descriptors than its limit, its own included.
    const perServer = fdLimit - first.fds - FD_MARGIN
    const serverCount = serversAsked ?? Math.ceil(opts.asked / perServer)
    const count = Math.min(opts.asked, serverCount * perServer)
    const limitNote = `a server process may hold ${fdLimit.toLocaleString('en')} descriptors (\`ulimit -n\`, hard limit ${hardLimit()}), ${first.fds} of which it uses at start, and ${FD_MARGIN} are kept free`
    const clamped =
      count < opts.asked ? `${count.toLocaleString('en')} connections, not the ${opts.asked.toLocaleString('en')} asked: ${limitNote}` : undefined
    if (clamped) console.error(`Note: ${clamped}.`)
    const ports = [first.port]
    while (servers.length < serverCount) ports.push((await startServer()).port)
    // Each load process talks to one server, so each server gets whole load processes.
    const loadCount = Math.max(opts.loads, serverCount)
    const perLoad = Math.ceil(count / loadCount)
    if (perLoad + 64 > fdLimit) throw new Error(`${perLoad} connections per load process exceed ulimit -n ${fdLimit}: use more --loads`)
    if (Math.ceil(Math.ceil(count / perLoad) / serverCount) * perLoad > perServer) throw new Error(`a server would get more than ${perServer} connections: use more --loads`)
    for (let i = 0; i * perLoad < count; i++) {
      const load = spawnChild(loadFile, [lifetime], { name: `soak load ${i + 1}` })
      loads.push(load)
      const args = { port: ports[i % serverCount], localAddress: `127.0.0.${2 + i}`, rooms: opts.rooms, first: i * perLoad, count: Math.min(perLoad, count - i * perLoad) }
      await load.call('setup', args)
    }
    const split =
      serverCount === 1 ? undefined : serversAsked === undefined ? `${serverCount} server processes, because ${limitNote}` : `${serverCount} server processes, as asked (\`--servers\`)`

    const sampleAll = () => Promise.all(servers.map((server) => server.call('sample', {}, 60_000))).then(combineSamples)
    const empty = await sampleAll()
    console.error(`Soak: ${count.toLocaleString('en')} connections from ${loads.length} load processes to ${serverCount} server process${serverCount === 1 ? '' : 'es'}, ${opts.rooms} rooms, ${opts.rate} broadcasts/s + 1 to all every ${opts.allEverySeconds} s, ${opts.minutes} min`)
    const connectStarted = performance.now()
    await Promise.all(loads.map((load) => load.call('connect', { concurrency: 64 }, 10 * 60_000)))
    const connectMs = performance.now() - connectStarted
    const connected = (await Promise.all(servers.map((server) => server.call('connections')))).reduce((a, b) => a + b, 0)
    if (connected !== count) throw new Error(`the servers count ${connected} connections, expected ${count}`)
    console.error(`Connected in ${(connectMs / 1000).toFixed(1)} s`)

    const samples = []
    const sample = async (t) => {
      const [s, statuses] = await Promise.all([sampleAll(), Promise.all(loads.map((load) => load.call('status')))])
      const sum = (key) => statuses.reduce((total, st) => total + st[key], 0)
      const row = { t, ...s, received: sum('roomReceived') + sum('allReceived'), open: sum('open'), closed: sum('closed'), gaps: sum('gaps') }
      samples.push(row)
      console.error(
        `  t=${String(Math.round(t)).padStart(4)} s  heap ${(row.heapUsed / MB).toFixed(1)} MB  rss ${(row.rss / MB).toFixed(1)} MB  ` +
          `conns ${row.connections}  cpu ${Math.round(row.cpu * 100)}%  lag p99/max ${row.delay.p99.toFixed(1)}/${row.delay.max.toFixed(0)} ms  to-all ${row.allMs.toFixed(0)} ms  received ${row.received}  gaps ${row.gaps}  closed ${row.closed}`,
      )
    }
    // t = 0: connected and idle, before the first broadcast.
    await sample(0)
    const t0 = performance.now()
    await Promise.all(servers.map((server) => server.call('startTrickle', { rooms: opts.rooms, rate: opts.rate, allEverySeconds: opts.allEverySeconds })))
    const sampleMs = opts.sampleSeconds * 1000
    for (let k = 1; k * sampleMs <= durationMs; k++) {
      await sleep(t0 + k * sampleMs - performance.now())
      await sample((performance.now() - t0) / 1000)
    }
    await sleep(t0 + durationMs - performance.now())
    // What each server sent: each load checks against the server it is connected to.
    const sentBy = await Promise.all(servers.map((server) => server.call('stopTrickle')))

    // Let the last messages arrive (up to 30 s), then count what is missing.
    const drainDeadline = performance.now() + 30_000
    let verdicts
    for (;;) {
      verdicts = await Promise.all(loads.map((load, i) => load.call('verify', sentBy[i % serverCount])))
      if (verdicts.every((v) => v.missing === 0) || performance.now() > drainDeadline) break
      await sleep(500)
    }
    const total = (key) => verdicts.reduce((sum, v) => sum + v[key], 0)
    const closeCodes = {}
    for (const v of verdicts) for (const [code, n] of Object.entries(v.closeCodes)) closeCodes[code] = (closeCodes[code] ?? 0) + n
    const sent = { roomMsgs: 0, allSent: 0 }
    for (const s of sentBy) {
      sent.roomMsgs += s.roomSent.reduce((a, b) => a + b, 0)
      sent.allSent += s.allSent
    }
    const check = {
      expected: total('expected'),
      lost: total('lost'),
      gaps: total('gaps'),
      missing: total('missing'),
      duplicates: total('duplicates'),
      damaged: total('damaged'),
      unexpected: total('unexpected') + total('beyond'),
      closed: total('closed'),
      closeCodes,
    }
    const ok = check.lost === 0 && check.duplicates === 0 && check.damaged === 0 && check.unexpected === 0 && check.closed === 0

    const others = otherLoad.stop([...servers, ...loads].map((child) => child.pid))
    const report = soakReport({ opts, count, empty, loadCount: loads.length, serverCount, split, clamped, connectMs, samples, sent, check, ok, seconds: Math.round((Date.now() - started) / 1000), argv, fdLimit, others, loadAverage: otherLoad.loadAverage })
    console.log(`\n${report}`)
    if (values.write) writeSection('soak', '## Soak (`pnpm bench --soak`)', report, '## Where we miss')
    if (!ok) {
      failed = true
      console.error('\nSOAK FAILED: messages were lost, duplicated or damaged, or connections closed (see above).')
    }
    return ok ? 0 : 1
  } catch (error) {
    failed = true
    console.error(`\nSOAK FAILED: ${error.stack ?? error}`)
    return 1
  } finally {
    for (const load of loads) load.notify('exit')
    for (const load of loads) await load.stop(30_000).catch(warn(failed))
    for (const server of servers) await server.call('close', {}, 60_000).catch(warn(failed))
    for (const server of servers) await server.stop(30_000).catch(warn(failed))
  }
}

/**
 * The samples of every server at one moment as one: memory, connections and CPU summed, the
 * event-loop lag and the longest broadcast to all of the worst server.
 */
function combineSamples(samples) {
  const sum = (key) => samples.reduce((total, s) => total + s[key], 0)
  const max = (pick) => Math.max(...samples.map(pick))
  return {
    heapUsed: sum('heapUsed'),
    rss: sum('rss'),
    external: sum('external'),
    connections: sum('connections'),
    cpu: sum('cpu'),
    delay: { p99: max((s) => s.delay.p99), max: max((s) => s.delay.max) },
    allMs: max((s) => s.allMs),
  }
}

const warn = (alreadyFailed) => (error) => {
  if (!alreadyFailed) console.error(`cleanup: ${error.message}`)
}

function hardLimit() {
  try {
    return execFileSync('/bin/sh', ['-c', 'ulimit -Hn']).toString().trim()
  } catch {
    return 'unknown'
  }
}

function usage(message) {
  console.error(`${message}\nUsage: node bench/soak.mjs [--minutes N] [--connections N] [--servers N|auto] [--rooms N] [--rate N] [--all-every S] [--sample-seconds S] [--warmup-seconds S] [--loads N] [--write] [--profile]`)
  return 2
}

const fmt = (value, digits = 0) => value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const pct = (ratio) => `${ratio >= 0 ? '+' : '−'}${fmt(Math.abs(ratio) * 100, 1)} %`

/** Growth of `key` after warm-up: the last third's mean against the first sample after warm-up, and the slope. */
function growth(samples, key, warmupSeconds, durationSeconds) {
  const after = samples.filter((s) => s.t >= warmupSeconds - 0.5)
  const baseline = after[0]
  const lastThird = samples.filter((s) => s.t >= (durationSeconds * 2) / 3 - 0.5)
  if (baseline === undefined || lastThird.length === 0 || lastThird[0].t <= baseline.t) return undefined
  const mean = lastThird.reduce((sum, s) => sum + s[key], 0) / lastThird.length
  // Least-squares slope over every sample after warm-up, in bytes per minute.
  const n = after.length
  const mt = after.reduce((sum, s) => sum + s.t, 0) / n
  const mv = after.reduce((sum, s) => sum + s[key], 0) / n
  const slope = (after.reduce((sum, s) => sum + (s.t - mt) * (s[key] - mv), 0) / after.reduce((sum, s) => sum + (s.t - mt) ** 2, 0)) * 60
  return { baseline, mean, lastFrom: lastThird[0].t, change: mean / baseline[key] - 1, slope }
}

function soakReport({ opts, count, empty, loadCount, serverCount, split, clamped, connectMs, samples, sent, check, ok, seconds, argv, fdLimit, others, loadAverage }) {
  const durationSeconds = opts.minutes * 60
  const rows = samples.map((s) => {
    const phase = s.t === 0 ? 'connected, idle' : s.t < opts.warmupSeconds - 0.5 ? 'warm-up' : 'measured'
    return `| ${fmt(s.t)} | ${phase} | ${fmt(s.heapUsed / MB, 1)} | ${fmt(s.rss / MB, 1)} | ${fmt(s.external / MB, 1)} | ${fmt(s.connections)} | ${fmt(s.cpu * 100)} % | ${fmt(s.delay.p99, 1)} / ${fmt(s.delay.max, 1)} | ${s.allMs > 0 ? fmt(s.allMs, 1) : '—'} | ${fmt(s.received)} |`
  })
  const verdictOf = (label, key) => {
    const g = growth(samples, key, opts.warmupSeconds, durationSeconds)
    if (g === undefined) return `- ${label}: not enough samples after warm-up for a verdict (run longer than ${opts.warmupSeconds} s × 1.5).`
    const flagged = g.change > 0.05
    return (
      `- ${label}: ${fmt(g.baseline[key] / MB, 1)} MB at t = ${fmt(g.baseline.t)} s (first sample after warm-up), ` +
      `${fmt(g.mean / MB, 1)} MB on average from t = ${fmt(g.lastFrom)} s (last third): ${pct(g.change)}; ` +
      `slope after warm-up ${g.slope >= 0 ? '+' : '−'}${fmt(Math.abs(g.slope) / MB, 2)} MB/min. ` +
      (flagged ? '**Growth over 5 % after warm-up.**' : 'No growth (within 5 %).')
    )
  }
  const closes = Object.entries(check.closeCodes).map(([code, n]) => `${n} × ${code}`).join(', ')
  const command = `node bench/soak.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`
  return [
    `Command: \`${command}\` (took ${seconds} s)`,
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}, ulimit -n ${fdLimit}`,
    `Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; commit ${measuredCommit()}` +
      (others === undefined ? '' : `; other processes used ${Math.round(others * 100)}% of a core during the run (load average ${loadAverage.toFixed(2)} at the start)`),
    '',
    `${fmt(count)} WebSocket connections to ${serverCount === 1 ? 'one server process' : `${serverCount} server processes (each on its own port with its share of the connections, load process i connecting to server i mod ${serverCount}; memory, connections and CPU below are their sums, lag the worst of them)`} (ours, \`rateLimit: false\`, default recovery settings; clients say \`hello=1\` in the URL, a recoverable \`hello\`), from ${loadCount} load processes on 127.0.0.2…; ` +
      `connection i in room \`r<i mod ${opts.rooms}>\` (~${fmt(count / opts.rooms)} per room). For ${opts.minutes} min, ${serverCount === 1 ? 'the server' : 'each server'} broadcast ${opts.rate} messages/s of ~100 B to the rooms in turn and one to every connection every ${opts.allEverySeconds} s: ` +
      `${fmt(sent.roomMsgs)} room messages and ${fmt(sent.allSent)} to all${serverCount === 1 ? '' : ' in all'}, ${fmt(check.expected)} deliveries. Connecting took ${fmt(connectMs / 1000, 1)} s (${fmt(count / (connectMs / 1000))}/s). ` +
      `Before connecting the server${serverCount === 1 ? '' : 's'} had ${fmt(empty.heapUsed / MB, 1)} MB of heap and ${fmt(empty.rss / MB, 1)} MB of RSS; connected and idle (t = 0), ` +
      `${fmt((samples[0].heapUsed - empty.heapUsed) / count)} B of heap and ${fmt((samples[0].rss - empty.rss) / count)} B of RSS per connection.` +
      (split ? ` ${split[0].toUpperCase()}${split.slice(1)}.` : '') +
      (clamped ? ` **${clamped}.**` : ''),
    '',
    `Server memory after \`gc()\` every ${opts.sampleSeconds} s (t from the first broadcast; warm-up: the first ${opts.warmupSeconds} s); CPU and event-loop lag (how late a 20 ms timer fired: p99 and max) over the interval before each sample, and the longest broadcast to all in it (from \`rt.emit\` until its writes were flushed); the t = 0 interval includes connecting. Broadcasts to all fall half a period between samples.`,
    '',
    '| t (s) | phase | heapUsed MB | RSS MB | external MB | connections | server CPU | event-loop lag p99 / max ms | longest broadcast to all ms | messages received |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    verdictOf('Heap', 'heapUsed'),
    verdictOf('RSS', 'rss'),
    `- Lost messages: **${fmt(check.lost)}** of ${fmt(check.expected)} deliveries (${fmt(check.gaps)} skipped, ${fmt(check.missing)} never arrived); ` +
      `${fmt(check.duplicates)} duplicated or out of order, ${fmt(check.damaged)} damaged, ${fmt(check.unexpected)} unexpected frames; ` +
      `${fmt(check.closed)} connections closed during the soak${closes ? ` (${closes})` : ''}. ${ok ? 'Passed.' : '**Failed.**'}`,
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(await runSoak(process.argv.slice(2)))
