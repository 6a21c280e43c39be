import { execFile } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'

/**
 * What each public package's tarball holds, as `npm pack` lists it: its manifest, README, LICENSE
 * and built files, and nothing else (no sources, tests, configs or build caches). Needs
 * `pnpm build` first (the root `pnpm test` runs it).
 */

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))

const publicPackages = readdirSync(join(root, 'packages'))
  .sort()
  .map((dir) => join(root, 'packages', dir))
  .filter((dir) => existsSync(join(dir, 'package.json')) && JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private !== true)

/** The paths `npm pack` would put in the tarball of the package in `dir`. */
async function packedFiles(dir: string): Promise<string[]> {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, timeout: 60_000 })
  const [pack] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>
  return (pack?.files ?? []).map((file) => file.path).sort()
}

describe('the published tarballs', () => {
  const packed = new Map<string, string[]>()
  beforeAll(async () => {
    const lists = await Promise.all(publicPackages.map((dir) => packedFiles(dir)))
    publicPackages.forEach((dir, index) => packed.set(dir, lists[index] as string[]))
  }, 120_000)

  it.each(publicPackages.map((dir) => [dir.slice(root.length), dir]))('%s holds its manifest, README, LICENSE and built files only', (_name, dir) => {
    const files = packed.get(dir) as string[]
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }
    expect(files).toContain('package.json')
    expect(files).toContain('README.md')
    expect(files).toContain('LICENSE')
    expect(files.filter((file) => !['package.json', 'README.md', 'LICENSE'].includes(file) && !file.startsWith('dist/'))).toEqual([])
    expect(files.filter((file) => /\.(test|spec)\.|tsbuildinfo|\/src\//.test(file))).toEqual([])
    // Every file an export names is in it.
    const named = JSON.stringify(manifest.exports).match(/\.\/dist\/[^"]+/g) ?? []
    expect(named.length).toBeGreaterThan(0)
    for (const path of named) expect(files, path).toContain(path.slice(2))
  })
})
