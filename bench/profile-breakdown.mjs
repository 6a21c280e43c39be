#!/usr/bin/env node
/**
 * Splits the CPU time of a profiled server (`node bench/run.mjs --profile`) into what it was spent
 * on, per operation: `node bench/profile-breakdown.mjs bench/profiles/storm-ours-1.cpuprofile --per 2000`
 * gives µs per connection of a 2,000-connection storm. Each sample goes to the first category its
 * stack matches, leaf first for system calls and garbage collection, then by the code it runs in;
 * start-up (module loading) and idle time are left out.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { values, positionals } = parseArgs({ options: { per: { type: 'string', default: '1' } }, allowPositionals: true })
const per = Number(values.per)

/** [category, test on the leaf frame's function name] — checked first. */
const leafCategories = [
  ['garbage collection', (name) => name === '(garbage collector)'],
  ['socket writes (system calls)', (name) => /^(writev|writeBuffer|writeUtf8String|writeLatin1String|writeAsciiString)$/.test(name)],
  ['socket reads (system calls)', (name) => name === 'read' || name === 'readStart' || name === 'onStreamRead'],
  ['peer address (getpeername)', (name) => name === 'getpeername' || name === '_getpeername'],
  ['accept', (name) => name === 'onconnection' || name === 'accept'],
  ['random bytes (crypto)', (name) => /^(randomFillSync|randomBytes|getRandomValues)$/.test(name)],
]
/** [category, test on a frame's url] — the innermost frame that matches names the category. */
const codeCategories = [
  ['this library (server, core, transports)', (url) => /packages\/(server|core|transport-[a-z]+)\/dist/.test(url)],
  ['ws (upgrade, frames)', (url) => /\/ws\/lib\//.test(url)],
  ['Socket.IO / Engine.IO', (url) => /(socket\.io|engine\.io)/.test(url)],
  ['Node.js HTTP (parser, request, response)', (url) => /node:_http_/.test(url)],
  ['Node.js streams and sockets', (url) => /node:(net|internal\/streams|internal\/stream_base_commons)/.test(url)],
  ['Node.js events, timers, microtasks', (url) => /node:(events|timers|internal\/timers|internal\/process\/task_queues|internal\/async_hooks|async_hooks)/.test(url)],
]
const startUp = /compileForInternalLoader|loadAndTranslate|run_main_module|setupChildProcessIpcChannel|compileSourceTextModule|requireBuiltin|moduleEvaluation|^evaluate$/

for (const file of positionals) {
  const { nodes, samples, timeDeltas } = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of nodes) for (const child of n.children ?? []) parent.set(child, n.id)
  const totals = new Map()
  let counted = 0
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0
    const stack = []
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) stack.push(byId.get(id).callFrame)
    const leaf = stack[0].functionName
    if (leaf === '(idle)' || leaf === '(program)' || leaf === '(root)') continue
    if (stack.some((frame) => startUp.test(frame.functionName))) continue
    let category = leafCategories.find(([, test]) => test(leaf))?.[0]
    for (const frame of stack) {
      if (category !== undefined) break
      category = codeCategories.find(([, test]) => test(frame.url))?.[0]
    }
    category ??= 'other'
    totals.set(category, (totals.get(category) ?? 0) + dt)
    counted += dt
  }
  console.log(`# ${file}: ${(counted / 1000).toFixed(0)} ms of CPU samples (start-up and idle left out), per ${per.toLocaleString('en')} operations`)
  console.log('| spent on | µs per operation | share |')
  console.log('|---|---:|---:|')
  for (const [category, us] of [...totals].sort((a, b) => b[1] - a[1])) {
    console.log(`| ${category} | ${(us / per).toFixed(1)} | ${((us / counted) * 100).toFixed(0)} % |`)
  }
  console.log(`| all | ${(counted / per).toFixed(1)} | 100 % |`)
}
