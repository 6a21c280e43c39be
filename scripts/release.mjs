// `pnpm release`: publishes the versions `pnpm version-packages` made, only after checking what
// users will install. In order: build every package, run the packed-tarball tests (each public
// package packed, checked by publint and are-the-types-wrong, installed outside the workspace and
// its README example run; each tarball's file list), then `changeset publish`, which publishes the
// public packages whose version is not on the registry yet and tags them.
//
// `pnpm release --dry-run` stops before publishing and prints what would be published.
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dryRun = process.argv.includes('--dry-run')

function step(title, command, args) {
  console.log(`release: ${title}: ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`release: ${title} failed; nothing was published`)
    process.exit(result.status ?? 1)
  }
}

step('build', 'pnpm', ['build'])
step('check the packed packages', 'pnpm', ['vitest', 'run', 'test/consumer'])

const publishable = readdirSync(join(root, 'packages'))
  .map((dir) => join(root, 'packages', dir, 'package.json'))
  .filter((manifest) => existsSync(manifest))
  .map((manifest) => JSON.parse(readFileSync(manifest, 'utf8')))
  .filter((pkg) => pkg.private !== true)
  .map((pkg) => `${pkg.name}@${pkg.version}`)
console.log(`release: public packages at their current versions:\n  ${publishable.join('\n  ')}`)

if (dryRun) {
  console.log('release: --dry-run: stopping before `changeset publish`')
  process.exit(0)
}
step('publish', 'pnpm', ['changeset', 'publish'])
