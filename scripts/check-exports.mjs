// After `pnpm build`: every path that a package.json under packages/ points at
// (exports, main, module, types, typesVersions) must exist, so a published package
// never names a file it does not ship.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const packagesDir = join(root, 'packages')

/** Every string leaf of an exports / typesVersions value, with the key path that leads to it. */
function* targets(value, keys = []) {
  if (typeof value === 'string') yield [keys.join(' > '), value]
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* targets(v, [...keys, String(i)])
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) yield* targets(v, [...keys, k])
}

const missing = []
let checked = 0
for (const dir of readdirSync(packagesDir).sort()) {
  const manifestPath = join(packagesDir, dir, 'package.json')
  if (!existsSync(manifestPath)) continue
  const pkg = JSON.parse(readFileSync(manifestPath, 'utf8'))
  const fields = {
    exports: pkg.exports,
    main: pkg.main,
    module: pkg.module,
    types: pkg.types,
    typesVersions: pkg.typesVersions,
  }
  for (const [field, value] of Object.entries(fields)) {
    for (const [key, target] of targets(value, [field])) {
      if (target.includes('*')) {
        missing.push(`${pkg.name}: ${key} uses a wildcard (${target}), which this check cannot verify`)
        continue
      }
      checked++
      if (!existsSync(join(packagesDir, dir, target))) {
        missing.push(`${pkg.name}: ${key} -> ${target} does not exist`)
      }
    }
  }
}

if (missing.length > 0) {
  console.error(`check-exports: ${missing.length} problem(s) (did \`pnpm build\` run?)`)
  for (const line of missing) console.error(`  ${line}`)
  process.exit(1)
}
console.log(`check-exports: all ${checked} paths in ${relative(root, packagesDir)}/*/package.json exist`)
