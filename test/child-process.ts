import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'

const packages = fileURLToPath(new URL('../packages/', import.meta.url))

/**
 * Resolves `@org/realtime-<dir>` to packages/<dir>/src/index.ts and `@org/realtime-<dir>/<name>` to
 * packages/<dir>/src/<name>.ts (the Node builds of the clients), as vitest.config.ts does, so a
 * child process runs the sources without a build.
 */
const sources: Plugin = {
  name: 'realtime-sources',
  setup(builder) {
    builder.onResolve({ filter: /^@org\/realtime-/ }, ({ path }) => {
      const [, dir, name] = /^@org\/realtime-([\w-]+)(?:\/([\w-]+))?$/.exec(path) ?? []
      if (dir === undefined) return undefined
      const file = name === undefined ? 'index' : name === 'client' && (dir === 'transport-ws' || dir === 'transport-sse') ? 'client-node' : name
      return { path: `${packages}${dir}/src/${file}.ts` }
    })
  },
}

/** A Node.js process running a script of the test suite, with what it printed. */
export interface ChildScript {
  readonly process: ChildProcess
  /** Everything it wrote to stdout and stderr so far. */
  readonly output: () => string
  /** Resolves with the first line of stdout that matches `pattern`, or rejects after `timeoutMs`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>
  /** Resolves with the exit code (or the signal's name) once the process ended. */
  readonly exited: Promise<number | string>
}

/**
 * Bundles `entry` (a TypeScript file, typically under a test's `fixtures/`) with the packages'
 * sources and runs it in a child process with `args`. The bundle is removed once the process ends;
 * a test kills the process it started (`process.kill()`) if it has not ended.
 */
export async function runScript(entry: string, args: string[] = []): Promise<ChildScript> {
  const dir = mkdtempSync(join(tmpdir(), 'realtime-child-'))
  const outfile = join(dir, 'script.mjs')
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    plugins: [sources],
    // ws's optional native helpers: it does without them.
    external: ['bufferutil', 'utf-8-validate'],
    // Bundled CommonJS packages (ws) require Node.js built-ins.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'silent',
  })
  const child = spawn(process.execPath, [outfile, ...args], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const waiting: Array<{ pattern: RegExp; resolve: (line: string) => void }> = []
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
    for (const line of chunk.split('\n')) {
      for (const wait of [...waiting]) {
        if (wait.pattern.test(line)) {
          waiting.splice(waiting.indexOf(wait), 1)
          wait.resolve(line)
        }
      }
    }
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      rmSync(dir, { recursive: true, force: true })
      resolve(code ?? signal ?? 'unknown')
    })
  })
  return {
    process: child,
    output: () => output,
    exited,
    line(pattern, timeoutMs = 10_000) {
      const seen = output.split('\n').find((line) => pattern.test(line))
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${output}`)), timeoutMs)
        waiting.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer)
            resolve(line)
          },
        })
        void exited.then(() => {
          clearTimeout(timer)
          reject(new Error(`the process exited before printing a line matching ${pattern}; output:\n${output}`))
        })
      })
    },
  }
}
