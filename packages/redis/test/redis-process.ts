import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { freePort } from '../../../test/free-port.js'

/**
 * A redis-server of a test's own, on a free port, so that killing and restarting it disturbs no
 * other test. Keeps nothing on disk unless `persistent` (append-only file, fsync on every write).
 */
export class RedisProcess {
  #child: ChildProcess | undefined
  readonly #dir = mkdtempSync(join(tmpdir(), 'realtime-redis-'))

  private constructor(
    readonly port: number,
    readonly persistent: boolean,
  ) {}

  static async start(options: { persistent?: boolean } = {}): Promise<RedisProcess> {
    const server = new RedisProcess(await freePort(), options.persistent === true)
    await server.restart()
    return server
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** Starts it (again, on the same port), and waits until it answers. */
  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.#dir]
    args.push(...(this.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']))
    const child = spawn('redis-server', args, { stdio: 'ignore' })
    this.#child = child
    const redis = new Redis(this.url, { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 })
    redis.on('error', () => {})
    try {
      const deadline = Date.now() + 10_000
      for (;;) {
        try {
          if (redis.status === 'wait') await redis.connect()
          if ((await redis.ping()) === 'PONG') return
        } catch {
          if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`)
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      }
    } finally {
      redis.disconnect()
    }
  }

  /** Kills it at once (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    const child = this.#child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  async stop(): Promise<void> {
    await this.kill()
    rmSync(this.#dir, { recursive: true, force: true })
  }
}
