// The first step of `pnpm test`: makes sure what the tests need outside node_modules is there.
//
// - Chrome or Chromium for the browser tests: CHROMIUM_PATH, else PATH, else the usual install
//   locations; when there is none and this runs as root with apt-get, it installs Debian's
//   Chromium (`apt-get install chromium fonts-liberation`). test/browser.ts finds it the same way.
// - Redis and PostgreSQL, when a workspace package depends on a client of theirs (ioredis, pg…)
//   or when named on the command line (`node scripts/setup-test-env.mjs redis postgres`): found
//   answering (REDIS_URL, PGHOST/PGPORT, or the default local ports), else started when installed.
//
// Anything it cannot provide ends it with exit code 1 and one sentence per missing piece, saying
// what to install.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findChromium, onPath } from './test-env/find-chromium.mjs'
import { SERVICE_CLIENTS, ensurePostgres, ensureRedis } from './test-env/services.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const say = (line) => console.log(`setup-test-env: ${line}`)

/** Installs Debian's Chromium when this process may (root, apt-get on PATH); whether it ran. */
function installChromium() {
  if (process.getuid?.() !== 0 || onPath(['apt-get']) === undefined) return false
  say('no Chrome or Chromium found: installing Debian\'s chromium with apt-get')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const apt = (args) => spawnSync('apt-get', args, { env, stdio: ['ignore', 'inherit', 'inherit'], timeout: 15 * 60_000 }).status === 0
  return apt(['update']) && apt(['install', '-y', '--no-install-recommends', 'chromium', 'fonts-liberation'])
}

async function chromium() {
  let found = findChromium()
  if (found.path === undefined && process.env.CHROMIUM_PATH === undefined && installChromium()) found = findChromium()
  if (found.path === undefined) throw new Error(found.error)
  return `Chromium for the browser tests: ${found.path} (from ${found.from})`
}

/** The npm packages that the workspace's packages and examples depend on. */
function workspaceDependencies() {
  const names = new Set()
  for (const group of ['packages', 'examples']) {
    const dir = join(root, group)
    if (!existsSync(dir)) continue
    for (const name of readdirSync(dir)) {
      const manifest = join(dir, name, 'package.json')
      if (!existsSync(manifest)) continue
      const pkg = JSON.parse(readFileSync(manifest, 'utf8'))
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) for (const dep of Object.keys(pkg[field] ?? {})) names.add(dep)
    }
  }
  return names
}

const asked = new Set(process.argv.slice(2))
const dependencies = workspaceDependencies()
const needs = (service) => asked.has(service) || SERVICE_CLIENTS[service].some((client) => dependencies.has(client))

const checks = [chromium]
if (needs('redis')) checks.push(() => ensureRedis())
if (needs('postgres')) checks.push(() => ensurePostgres())

const failures = []
for (const check of checks) {
  try {
    say(await check())
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error))
  }
}
if (failures.length > 0) {
  for (const failure of failures) console.error(`setup-test-env: ${failure}`)
  process.exit(1)
}
