import { parse } from '/work/main/node_modules/.pnpm/acorn@8.19.0/node_modules/acorn/dist/acorn.mjs'
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
const file = process.argv[2]
const src = readFileSync(file, 'utf8')
const ast = parse(src, { ecmaVersion: 'latest', sourceType: 'module' })
const found = []
;(function walk(n) {
  if (!n || typeof n.type !== 'string') return
  if (n.type === 'Literal' && typeof n.value === 'string' && n.value.includes(' ')) found.push([n.start, n.end])
  if (n.type === 'TemplateLiteral' && n.quasis.some((q) => q.value.cooked.includes(' '))) for (const q of n.quasis) found.push([q.start, q.end])
  for (const k in n) { const v = n[k]; if (Array.isArray(v)) v.forEach(walk); else if (v && typeof v === 'object' && v.type) walk(v) }
})(ast)
let out = '', last = 0
for (const [s, e] of found.sort((a, b) => a[0] - b[0])) { out += src.slice(last, s) + (src[s] === '"' ? '""' : ''); last = e }
out += src.slice(last)
const gz = (t) => gzipSync(t, { level: 9 }).length
console.log(file, 'gz', gz(src), 'without messages', gz(out), 'messages cost', gz(src) - gz(out), 'count', found.length)
