import { execFile } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { CHROMIUM_MISSING, findChromium, onPath } from '../../scripts/test-env/find-chromium.mjs'
import { freePort } from '../free-port.js'

const script = fileURLToPath(new URL('../../scripts/setup-test-env.mjs', import.meta.url))
const scratch = mkdtempSync(join(tmpdir(), 'realtime-setup-'))

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true })
})

/** An executable shell script at `path` (a stand-in browser: the finder only looks for it). */
function executable(path: string): string {
  writeFileSync(path, '#!/bin/sh\nexit 0\n')
  chmodSync(path, 0o755)
  return path
}

/** A folder of its own under the scratch folder. */
function folder(name: string): string {
  const dir = join(scratch, name)
  mkdirSync(dir, { recursive: true })
  return dir
}

/** Runs the setup script as `pnpm test` does, with `env` as its whole environment; resolves with its exit code and output. */
function setup(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr })
    })
  })
}


/** Sends one Redis command on 127.0.0.1:`port` and resolves with the first line of the answer (or the error's message). */
function redis(port: number, command: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const timer = setTimeout(() => socket.destroy(new Error('no answer within 2 s')), 2000)
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('connect', () => socket.write(`${command}\r\n`))
    socket.on('data', (chunk: string) => {
      answer += chunk
      if (answer.includes('\r\n')) socket.end()
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(answer.split('\r\n')[0] ?? '')
    })
    socket.on('error', (error) => resolve(error.message))
  })
}

describe('finding Chrome or Chromium', () => {
  it('takes CHROMIUM_PATH first, then PATH, then the usual install locations', () => {
    const configured = executable(join(folder('configured'), 'my-chrome'))
    const onPathDir = folder('bin')
    const fromPath = executable(join(onPathDir, 'chromium-browser'))
    const installed = executable(join(folder('opt'), 'chrome'))

    expect(findChromium({ env: { CHROMIUM_PATH: configured, PATH: onPathDir }, paths: [installed] })).toEqual({ path: configured, from: 'CHROMIUM_PATH' })
    expect(findChromium({ env: { PATH: onPathDir }, paths: [installed] })).toEqual({ path: fromPath, from: 'PATH' })
    expect(findChromium({ env: { PATH: folder('empty') }, paths: [join(scratch, 'missing'), installed] })).toEqual({ path: installed, from: 'a common location' })
  })

  it('says in one sentence what to install when there is none, and what is wrong with a CHROMIUM_PATH that names no executable', () => {
    const none = findChromium({ env: { PATH: folder('nothing') }, paths: [] })
    expect(none).toEqual({ path: undefined, error: CHROMIUM_MISSING })
    expect(CHROMIUM_MISSING).toMatch(/^No Chrome or Chromium found[^.]*apt-get install chromium[^.]*CHROMIUM_PATH[^.]*\.$/)
    const notExecutable = join(scratch, 'not-a-browser')
    writeFileSync(notExecutable, 'text')
    expect(findChromium({ env: { CHROMIUM_PATH: notExecutable }, paths: [] })).toEqual({
      path: undefined,
      error: `CHROMIUM_PATH is ${notExecutable}, which is not an executable file: point it at a Chrome or Chromium executable, or unset it.`,
    })
  })
})

describe('scripts/setup-test-env.mjs, the first step of pnpm test', () => {
  it('names the browser that the browser tests will launch, and succeeds', async () => {
    const { path } = findChromium()
    const { code, stdout, stderr } = await setup([], { PATH: process.env.PATH ?? '' })
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain(`setup-test-env: Chromium for the browser tests: ${path} `)
  })

  it('fails with exactly one sentence when CHROMIUM_PATH names no executable, installing nothing', async () => {
    const { code, stdout, stderr } = await setup([], { PATH: process.env.PATH ?? '', CHROMIUM_PATH: join(scratch, 'no-such-browser') })
    expect(code).toBe(1)
    // The services the workspace's packages need (Redis, PostgreSQL) are still checked and named.
    expect(stdout.split('\n').filter((line) => line !== '' && !/^setup-test-env: (Redis|PostgreSQL) answers on /.test(line))).toEqual([])
    expect(stderr).toBe(`setup-test-env: CHROMIUM_PATH is ${join(scratch, 'no-such-browser')}, which is not an executable file: point it at a Chrome or Chromium executable, or unset it.\n`)
  })

  it('names the package to install for Redis and for PostgreSQL when neither runs nor is installed', async () => {
    const browser = executable(join(folder('browser'), 'chromium'))
    const [redisPort, pgPort] = [await freePort(), await freePort()]
    const { code, stderr } = await setup(['redis', 'postgres'], {
      PATH: folder('bare'),
      CHROMIUM_PATH: browser,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      PGHOST: '127.0.0.1',
      PGPORT: String(pgPort),
    })
    expect(code).toBe(1)
    expect(stderr.trimEnd().split('\n')).toEqual([
      `setup-test-env: Redis is not running on 127.0.0.1:${redisPort} and redis-server is not installed: install it (Debian or Ubuntu: \`sudo apt-get install redis-server\`) or start a Redis on that port.`,
      `setup-test-env: PostgreSQL is not running on 127.0.0.1:${pgPort} and is not installed: install it (Debian or Ubuntu: \`sudo apt-get install postgresql\`) and start it on that port.`,
    ])
  })

  it('starts an installed Redis that is not running, on the port REDIS_URL names, or names the package to install', async () => {
    const port = await freePort()
    const { code, stdout, stderr } = await setup(['redis'], { PATH: process.env.PATH ?? '', REDIS_URL: `redis://127.0.0.1:${port}` })
    if (onPath(['redis-server']) === undefined) {
      expect(code).toBe(1)
      expect(stderr).toContain('redis-server is not installed: install it')
      return
    }
    onTestFinished(async () => {
      await redis(port, 'SHUTDOWN NOSAVE')
      rmSync(join(tmpdir(), `realtime-redis-${port}`), { recursive: true, force: true })
    })
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain(`setup-test-env: Redis started on 127.0.0.1:${port}\n`)
    await expect(redis(port, 'PING')).resolves.toBe('+PONG')
  })
})
