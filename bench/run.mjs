#!/usr/bin/env node
/**
 * Benchmark orchestrator: `pnpm bench` (quick, under 5 minutes on 2 cores) or `pnpm bench --full`.
 * Each run starts a fresh server process and a fresh load process; implementations alternate
 * within each round. Prints a Markdown table of medians (min–max) with ratios, and the targets of
 * issue 6. Exits non-zero when any run fails its correctness checks.
 *
 * Options: --full, --runs N, --only fanout,echo,idle,storm,bundle,
 * --impls ours,ws,ws-corked,socketio,socketio-polling,ours-sse,ours-polling,http, --profile (write a .cpuprofile of each
 * server run to bench/profiles/), --write (update the quick or full section of bench/RESULTS.md).
 *
 * `--soak [--minutes N] [--write]` runs the soak instead (bench/soak.mjs: 20,000 connections for
 * several minutes); it is never part of the quick or full run.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, existsSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import bundle from './scenarios/bundle.mjs'
import echo from './scenarios/echo.mjs'
import editor from './scenarios/editor-ot.mjs'
import fanout from './scenarios/fanout.mjs'
import idle from './scenarios/idle.mjs'
import otType from './scenarios/ot-type.mjs'
import presence from './scenarios/presence.mjs'
import storm from './scenarios/storm.mjs'
import { watchOtherLoad } from './lib/machine.mjs'
import { implLabels, resultsTable, targetsTable } from './lib/report.mjs'
import { measuredCommit, writeSection } from './lib/results.mjs'

if (process.argv.includes('--soak')) {
  // The soak has its own orchestrator and options; hand it the rest of the command line.
  const { runSoak } = await import('./soak.mjs')
  process.exit(await runSoak(process.argv.slice(2).filter((arg) => arg !== '--soak')))
}

const all = [fanout, echo, idle, storm, bundle, otType, presence, editor]
const { values: opts } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string' },
    impls: { type: 'string' },
    profile: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
})
const mode = opts.full ? 'full' : 'quick'
const runs = Number(opts.runs ?? (opts.full ? 5 : 3))
const only = opts.only?.split(',')
const impls = opts.impls?.split(',')
const selected = all.filter((s) => !only || only.includes(s.name))
for (const name of only ?? []) if (!all.some((s) => s.name === name)) fail(`unknown scenario "${name}" (${all.map((s) => s.name).join(', ')})`)
for (const impl of impls ?? []) if (!(impl in implLabels)) fail(`unknown implementation "${impl}" (${Object.keys(implLabels).join(', ')})`)
const profileDir = fileURLToPath(new URL('./profiles/', import.meta.url))

const httpDists = ['transport-sse', 'transport-polling'].map((dir) => fileURLToPath(new URL(`../packages/${dir}/dist/server.js`, import.meta.url)))
for (const dist of [...['@org/realtime-server', '@org/realtime-client'].map((pkg) => fileURLToPath(import.meta.resolve(pkg))), ...httpDists]) {
  if (!existsSync(dist)) fail(`${dist} is missing: run \`pnpm build\` first`)
}

// Every connection is a file descriptor in both processes (the socket, or on the HTTP transports the
// event stream or held poll), and on the HTTP transports every POST in flight one more: scenarios
// dial 256 connections at a time, except the storm, which dials them all at once.
const isHttp = (impl) => impl === 'ours-sse' || impl === 'ours-polling' || impl === 'socketio-polling' || impl === 'http'
const fdLimit = Number(execFileSync('/bin/sh', ['-c', 'ulimit -n']).toString().trim())
const descriptorsFor = (s) => {
  const clients = s.sizes?.[mode]?.clients ?? 0
  const http = s.impls.some((impl) => isHttp(impl) && (!impls || impls.includes(impl)))
  return clients + (http ? (s.name === 'storm' ? clients : Math.min(clients, 256)) : 0)
}
const needed = Math.max(...selected.map(descriptorsFor)) + 200
if (fdLimit < needed) fail(`ulimit -n is ${fdLimit}; this run needs at least ${needed} (raise it with \`ulimit -n ${needed * 2}\`)`)

const started = Date.now()
const otherLoad = watchOtherLoad()
if (otherLoad.loadAverage > 0.5) console.error(`Load average is ${otherLoad.loadAverage.toFixed(2)}: other work on this machine will move the figures.`)
const results = {}
const ran = []
try {
  for (const scenario of selected) {
    const size = scenario.sizes?.[mode]
    const title = scenario.title(size)
    ran.push({ scenario, title })
    console.error(`\n## ${title}`)
    const list = scenario.impls.filter((impl) => !impls || impls.includes(impl))
    const rounds = scenario.once ? 1 : runs
    results[scenario.name] = {}
    for (let round = 0; round < rounds; round++) {
      // Alternate: each round starts with the next implementation.
      const order = list.map((_, i) => list[(i + round) % list.length])
      for (const impl of order) {
        const serverFlags = opts.profile
          ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${scenario.name}-${impl}-${round + 1}.cpuprofile`]
          : []
        if (opts.profile) mkdirSync(profileDir, { recursive: true })
        const result = await scenario.run(impl, size, { serverFlags })
        ;(results[scenario.name][impl] ??= []).push(result)
        const busy = ['serverCpu', 'loadCpu'].filter((k) => k in result).map((k) => `${k} ${Math.round(result[k] * 100)}%`)
        const shown = [...scenario.metrics.map((m) => `${m.label} ${result[m.key].toFixed(m.digits)}`), ...busy].join(', ')
        console.error(`  round ${round + 1}/${rounds} ${implLabels[impl].padEnd(18)} ${shown}`)
      }
    }
  }
} catch (error) {
  console.error(`\nBENCHMARK FAILED: ${error.stack ?? error}`)
  process.exit(1)
}

const seconds = Math.round((Date.now() - started) / 1000)
const others = otherLoad.stop()
const noise =
  others === undefined
    ? ''
    : `; other processes used ${Math.round(others * 100)}% of a core during the run (load average ${otherLoad.loadAverage.toFixed(2)} at the start)${others > 0.1 ? ' — noisy, rerun on a quiet machine' : ''}`
const table = resultsTable(ran, results)
const { table: targets, missed } = targetsTable(results)
const command = `pnpm bench${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`
const report = [
  `Command: \`${command}\` (${mode}, ${runs} runs per implementation, took ${seconds} s)`,
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}, ulimit -n ${fdLimit}`,
  `Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; commit ${measuredCommit()}${noise}`,
  '',
  'Medians of the runs, (min–max) beside them; ↑ higher is better, ↓ lower is better.',
  '',
  table,
  '',
  ...(mode === 'full' ? [] : [`Issue 6 sets its targets at the full sizes (\`--full\`); at the ${mode} sizes they are indicative.`, '']),
  targets,
].join('\n')
console.log(`\n${report}`)
if (missed.length) console.error(`\n${missed.length} target(s) missed${mode === 'full' ? '' : ` at the ${mode} sizes`}.`)

if (opts.write) {
  // RESULTS.md keeps the latest quick and the latest full report, each between its markers.
  writeSection(mode, mode === 'full' ? '## Full run (`pnpm bench --full`)' : '## Quick run (`pnpm bench`)', report)
}

function fail(message) {
  console.error(message)
  process.exit(1)
}
