#!/usr/bin/env node
/**
 * Summarizes a V8 .cpuprofile (from `node bench/run.mjs --profile`): the functions with the most
 * self time, and the most inclusive ("total") time, with their file and line.
 *
 *   node bench/profile-summary.mjs bench/profiles/fanout-ours-1.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' } }, allowPositionals: true })
if (positionals.length === 0) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile… [--top N]')
  process.exit(1)
}
const root = fileURLToPath(new URL('..', import.meta.url))

for (const file of positionals) {
  const { nodes, samples, timeDeltas } = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of nodes) for (const child of n.children ?? []) parent.set(child, n.id)
  // Time of each sample: the delta to the next one.
  const selfUs = new Map()
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + dt)
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0)
  const key = (n) => {
    const { functionName, url, lineNumber } = n.callFrame
    const where = url ? `${shorten(url)}:${lineNumber + 1}` : ''
    return `${functionName || '(anonymous)'} ${where}`.trim()
  }
  const self = new Map()
  const inclusive = new Map()
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    self.set(key(node), (self.get(key(node)) ?? 0) + us)
    // Walk up once per function, so recursion counts once.
    const seen = new Set()
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur))
      if (seen.has(k)) continue
      seen.add(k)
      inclusive.set(k, (inclusive.get(k) ?? 0) + us)
    }
  }
  const top = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, Number(values.top))
      .map(([k, us]) => `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`)
      .join('\n')
  console.log(`# ${file}: ${(total / 1000).toFixed(0)} ms sampled\n\n## self time\n${top(self)}\n\n## total time (self + callees)\n${top(inclusive)}\n`)
}

function shorten(url) {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url
  if (!path.startsWith('/')) return path
  return relative(root, path).replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
}
