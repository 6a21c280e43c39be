// Redis and PostgreSQL for the tests that need them: found answering, or started when installed
// (with the commands this project's machines use), or one sentence saying what to install.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { onPath } from './find-chromium.mjs'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

/** How long a started service has to answer. */
const START_TIMEOUT_MS = 30_000

/** Sends `request` (if any) to host:port and resolves with what came back within `timeoutMs`, or undefined if nothing listens. */
function probe(host, port, request, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    let answer = ''
    const done = (value) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(value)
    }
    const timer = setTimeout(() => done(answer === '' ? undefined : answer), timeoutMs)
    socket.setEncoding('utf8')
    socket.once('connect', () => {
      if (request === undefined) done('')
      else socket.write(request)
    })
    socket.on('data', (chunk) => {
      answer += chunk
      if (answer.includes('\r\n')) done(answer)
    })
    socket.once('error', () => done(undefined))
  })
}

async function waitFor(check, timeoutMs = START_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return false
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 60_000 })
  return result.status === 0
}

const isRoot = () => process.getuid?.() === 0

/** Redis from `REDIS_URL` (default `redis://127.0.0.1:6379`). Resolves with a line to print, or throws one sentence. */
export async function ensureRedis(env = process.env) {
  const url = new URL(env.REDIS_URL || 'redis://127.0.0.1:6379')
  const host = url.hostname || '127.0.0.1'
  const port = Number(url.port || 6379)
  // Any answer counts: +PONG, or -NOAUTH from a server that wants a password.
  const answers = async () => /^[+-]/.test((await probe(host, port, 'PING\r\n')) ?? '')
  if (await answers()) return `Redis answers on ${host}:${port}`
  const server = onPath(['redis-server'], env.PATH ?? '')
  if (!LOOPBACK.has(host)) throw new Error(`Redis does not answer at ${url.href} (REDIS_URL): start it, or unset REDIS_URL to use a local one.`)
  if (server === undefined) {
    throw new Error(`Redis is not running on ${host}:${port} and redis-server is not installed: install it (Debian or Ubuntu: \`sudo apt-get install redis-server\`) or start a Redis on that port.`)
  }
  // As root on the default port, as this project's machines start it; else in a folder of its own.
  const system = isRoot() && port === 6379
  const dir = system ? '/var/lib/redis' : join(tmpdir(), `realtime-redis-${port}`)
  const logfile = system ? '/var/log/redis/ci.log' : join(dir, 'redis.log')
  mkdirSync(dir, { recursive: true })
  mkdirSync(dirname(logfile), { recursive: true })
  const args = ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', logfile]
  if (!run(server, args) || !(await waitFor(answers))) {
    throw new Error(`Redis is installed but did not start on ${host}:${port} (its log: ${logfile}): start it yourself, or free that port.`)
  }
  return `Redis started on ${host}:${port}`
}

/** PostgreSQL from `PGHOST`/`PGPORT` (default 127.0.0.1:5432). Resolves with a line to print, or throws one sentence. */
export async function ensurePostgres(env = process.env) {
  const host = env.PGHOST && !env.PGHOST.startsWith('/') ? env.PGHOST : '127.0.0.1'
  const port = Number(env.PGPORT || 5432)
  const isReady = onPath(['pg_isready'], env.PATH ?? '')
  const answers = async () =>
    isReady !== undefined
      ? spawnSync(isReady, ['-h', host, '-p', String(port), '-t', '1'], { stdio: 'ignore', timeout: 5000 }).status === 0
      : (await probe(host, port, undefined)) !== undefined
  if (await answers()) return ensureLogicalWal(host, port, env, answers)
  if (!LOOPBACK.has(host)) throw new Error(`PostgreSQL does not answer on ${host}:${port} (PGHOST): start it, or unset PGHOST to use a local one.`)
  const ctlcluster = onPath(['pg_ctlcluster'], env.PATH ?? '')
  const clusters = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').filter((version) => existsSync(join('/etc/postgresql', version, 'main'))) : []
  if (ctlcluster === undefined || clusters.length === 0) {
    if (onPath(['postgres', 'pg_ctl', 'psql'], env.PATH ?? '') !== undefined) {
      throw new Error(`PostgreSQL is installed but not running on ${host}:${port}: start it (\`pg_ctl start -D <data directory>\`, or your system's service manager).`)
    }
    throw new Error(`PostgreSQL is not running on ${host}:${port} and is not installed: install it (Debian or Ubuntu: \`sudo apt-get install postgresql\`) and start it on that port.`)
  }
  for (const version of clusters) run(ctlcluster, ['--skip-systemctl-redirect', version, 'main', 'start'])
  if (!(await waitFor(answers))) {
    throw new Error(`PostgreSQL is installed but did not start on ${host}:${port}: start it with \`pg_ctlcluster ${clusters[0]} main start\` as root or postgres.`)
  }
  return ensureLogicalWal(host, port, env, answers, `PostgreSQL started on ${host}:${port}`)
}

/** The setting of `name` on the PostgreSQL at host:port (user `PGUSER` or postgres), or undefined when psql cannot ask. */
function pgSetting(host, port, env, name) {
  const psql = onPath(['psql'], env.PATH ?? '')
  if (psql === undefined) return undefined
  const args = ['-h', host, '-p', String(port), '-U', env.PGUSER || 'postgres', '-d', 'postgres', '-Atc', `SHOW ${name}`]
  const result = spawnSync(psql, args, { encoding: 'utf8', timeout: 10_000, env: { ...env, PGCONNECT_TIMEOUT: '5' } })
  return result.status === 0 ? result.stdout.trim() : undefined
}

/**
 * @org/realtime-postgres reads logical replication: `wal_level` must be `logical`. Sets it with
 * `ALTER SYSTEM` and restarts the local cluster when it is not (as root, with pg_ctlcluster).
 */
async function ensureLogicalWal(host, port, env, answers, line = `PostgreSQL answers on ${host}:${port}`) {
  const level = pgSetting(host, port, env, 'wal_level')
  if (level === undefined || level === 'logical') return level === undefined ? line : `${line}, wal_level=logical`
  const fix = 'run `ALTER SYSTEM SET wal_level = logical` as a superuser and restart PostgreSQL (Debian: `pg_ctlcluster <version> main restart`), then run the tests again.'
  const ctlcluster = onPath(['pg_ctlcluster'], env.PATH ?? '')
  const clusters = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').filter((version) => existsSync(join('/etc/postgresql', version, 'main'))) : []
  if (!LOOPBACK.has(host) || ctlcluster === undefined || clusters.length === 0 || !isRoot()) {
    throw new Error(`PostgreSQL on ${host}:${port} has wal_level=${level} and the database-change tests need logical: ${fix}`)
  }
  const psql = onPath(['psql'], env.PATH ?? '')
  const altered = spawnSync(psql, ['-h', host, '-p', String(port), '-U', env.PGUSER || 'postgres', '-d', 'postgres', '-c', 'ALTER SYSTEM SET wal_level = logical'], { stdio: 'ignore', timeout: 10_000 })
  for (const version of clusters) run(ctlcluster, ['--skip-systemctl-redirect', version, 'main', 'restart'])
  if (altered.status !== 0 || !(await waitFor(answers)) || pgSetting(host, port, env, 'wal_level') !== 'logical') {
    throw new Error(`PostgreSQL on ${host}:${port} could not be switched to wal_level=logical: ${fix}`)
  }
  return `${line}, wal_level switched to logical (restarted)`
}

/** npm packages whose presence in a workspace package means its tests need the service. */
export const SERVICE_CLIENTS = {
  redis: ['ioredis', 'redis', '@redis/client'],
  postgres: ['pg', 'postgres', 'pg-logical-replication'],
}
