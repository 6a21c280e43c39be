import v8 from 'node:v8'
import { readFileSync, unlinkSync } from 'node:fs'
import { spawnChild } from '../lib/ipc.mjs'
import { protocols } from '../lib/protocols.mjs'
const impl = process.argv[2] ?? 'ours'
const mod = await import(`../servers/${impl === 'ours' ? 'ours' : 'ours-sse'}.mjs`)
const server = await mod.start()
const load = spawnChild(new URL('../load.mjs', import.meta.url).pathname, [], { name: 'load' })
await load.call('setup', { impl, port: server.port })
function snap(tag) {
  global.gc(); global.gc()
  const file = v8.writeHeapSnapshot(`/tmp/an/${tag}.heapsnapshot`)
  const s = JSON.parse(readFileSync(file, 'utf8')); unlinkSync(file)
  const f = s.snapshot.meta.node_fields, n = f.length
  const ti = f.indexOf('type'), ni = f.indexOf('name'), si = f.indexOf('self_size')
  const types = s.snapshot.meta.node_types[0]
  const agg = new Map()
  for (let i = 0; i < s.nodes.length; i += n) {
    const type = types[s.nodes[i + ti]]
    const name = type === 'object' || type === 'closure' || type === 'array' || type === 'hidden' ? `${type}:${s.strings[s.nodes[i + ni]].slice(0, 40)}` : type
    const a = agg.get(name) ?? { count: 0, size: 0 }
    a.count++; a.size += s.nodes[i + si]
    agg.set(name, a)
  }
  return agg
}
const N = 4000
const before = snap('before')
await load.call('connect', { count: N, concurrency: 256 }, 120000)
await new Promise((r) => setTimeout(r, 1000))
const after = snap('after')
const rows = []
for (const [k, v] of after) { const b = before.get(k) ?? { count: 0, size: 0 }; rows.push([k, v.count - b.count, v.size - b.size]) }
rows.sort((a, b) => b[2] - a[2])
let total = 0; for (const r of rows) total += r[2]
console.log('total per conn', total / N)
for (const r of rows.slice(0, 40)) console.log((r[2] / N).toFixed(0).padStart(6), (r[1] / N).toFixed(2).padStart(6), r[0])
load.notify('exit'); await server.close(); process.exit(0)
