import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asCommonJs, readmeExample } from './readme-example.js'
import { freePort } from '../free-port.js'

/**
 * What a user outside this repository gets: every public package packed with `pnpm pack`, checked
 * by publint and attw, installed with npm into a scratch project in a temporary folder, and the
 * README's example run there as ESM and as CommonJS after `tsc --strict`. Needs `pnpm build`
 * first (the root `pnpm test` runs it) and the npm registry for `ws`, `eventemitter3` and
 * `@types/node`.
 */

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
const tsc = join(root, 'node_modules/typescript/bin/tsc')
const attw = join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js')

/** The packages under packages/ that are published: every one not marked private. */
const publicPackages = readdirSync(join(root, 'packages'))
  .sort()
  .map((dir) => ({ dir: join(root, 'packages', dir), manifest: join(root, 'packages', dir, 'package.json') }))
  .filter(({ manifest }) => existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).private !== true)
  .map(({ dir, manifest }) => ({ dir, name: JSON.parse(readFileSync(manifest, 'utf8')).name as string }))

/** The compiler options of a consumer on Node.js who wants everything checked, its dependencies' types included. */
const TSCONFIG = {
  compilerOptions: {
    strict: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2022'],
    types: ['node'],
    skipLibCheck: false,
    rootDir: 'src',
    outDir: 'out',
  },
  include: ['src'],
}

/** What the served-client check prints: the status and length of each file, from the installed server. */
const SERVE_CLIENT = `import { RealtimeServer } from '@org/realtime-server'

const rt = new RealtimeServer()
const port = await rt.listen(0, { host: '127.0.0.1', serveClient: true })
for (const name of ['client.js', 'client.mjs']) {
  const response = await fetch(\`http://127.0.0.1:\${port}/realtime/\${name}\`)
  console.log(name, response.status, (await response.text()).length > 1000 ? 'has the client' : 'is empty')
}
await rt.close()
`

let scratch: string
let tarballs: Map<string, string>
let tscOutput: { code: number; text: string }
let port: number


/** Runs `node file` in the scratch project; resolves with its exit code and output, killed after `timeoutMs`. */
function node(file: string, { timeoutMs = 45_000, until }: { timeoutMs?: number; until?: RegExp } = {}): {
  ready: Promise<void>
  exited: Promise<{ code: number | string; output: string }>
  kill: () => void
} {
  const child = spawn(process.execPath, [join(scratch, 'out', file)], { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  let markReady: () => void = () => {}
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8')
    if (until?.test(output)) markReady()
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const exited = new Promise<{ code: number | string; output: string }>((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      markReady()
      resolve({ code: code ?? signal ?? 'unknown', output })
    })
  })
  return { ready, exited, kill: () => child.kill('SIGTERM') }
}

beforeAll(async () => {
  for (const { dir, name } of publicPackages) {
    if (!existsSync(join(dir, 'dist'))) throw new Error(`${name} has no dist: run \`pnpm build\` at the repo root first (the root \`pnpm test\` does)`)
  }
  scratch = mkdtempSync(join(tmpdir(), 'realtime-consumer-'))
  const packs = join(scratch, 'packs')
  mkdirSync(packs)
  mkdirSync(join(scratch, 'src'))
  await Promise.all(publicPackages.map(({ dir }) => run('pnpm', ['pack', '--pack-destination', packs], { cwd: dir, timeout: 60_000 })))
  tarballs = new Map(
    publicPackages.map(({ name }) => {
      const file = readdirSync(packs).find((tarball) => tarball.startsWith(`${name.replace('@', '').replace('/', '-')}-`))
      if (file === undefined) throw new Error(`pnpm pack made no tarball for ${name}`)
      return [name, join(packs, file)]
    }),
  )

  // A project of its own, outside the workspace, that installs the tarballs as a user would install the packages.
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'realtime-consumer', private: true, type: 'module' }))
  const typesNode = JSON.parse(readFileSync(join(root, 'node_modules/@types/node/package.json'), 'utf8')).version as string
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs.values(), `@types/node@${typesNode}`], {
    cwd: scratch,
    timeout: 90_000,
  })

  port = await freePort()
  const { server, client } = readmeExample(port)
  writeFileSync(join(scratch, 'src/server.ts'), server)
  writeFileSync(join(scratch, 'src/client.ts'), client)
  writeFileSync(join(scratch, 'src/server.cts'), asCommonJs(server))
  writeFileSync(join(scratch, 'src/client.cts'), asCommonJs(client))
  writeFileSync(join(scratch, 'src/serve-client.ts'), SERVE_CLIENT)
  writeFileSync(join(scratch, 'src/serve-client.cts'), asCommonJs(SERVE_CLIENT))
  writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify(TSCONFIG))
  // tsc emits even when it finds errors, so the runs below still tell what happens at run time.
  tscOutput = await run(process.execPath, [tsc, '-p', scratch], { cwd: scratch, timeout: 60_000 }).then(
    ({ stdout }) => ({ code: 0, text: stdout }),
    (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, text: error.stdout ?? String(error) }),
  )
}, 180_000)

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
})

describe('the packed packages, installed outside the workspace', () => {
  it('pass publint, suggestions included, every one of them', async () => {
    const reports: string[] = []
    for (const [name, tarball] of tarballs) {
      const data = readFileSync(tarball)
      const { messages, pkg } = await publint({ pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) }, strict: true })
      for (const message of messages) reports.push(`${name}: ${message.type}: ${formatMessage(message, pkg, { color: false })}`)
    }
    expect(reports).toEqual([])
  })

  it('resolve every entry point with its types under node10, node16 (ESM and CJS) and bundlers (attw)', async () => {
    const results = await Promise.all(
      [...tarballs].map(async ([name, tarball]) => {
        const { stdout } = await run(process.execPath, [attw, tarball, '--format', 'json', '--no-definitely-typed'], { timeout: 60_000 }).catch(
          (error: { stdout?: string }) => ({ stdout: error.stdout ?? '{}' }),
        )
        const { analysis } = JSON.parse(stdout) as {
          analysis?: { types?: unknown; problems?: Array<{ kind: string; entrypoint?: string; resolutionKind?: string }> }
        }
        if (analysis === undefined) return [`${name}: attw printed no analysis: ${stdout.slice(0, 500)}`]
        if (analysis.types === false) return [`${name}: ships no types`]
        return (analysis.problems ?? []).map((problem) => `${name}: ${problem.kind} at ${problem.entrypoint ?? '?'} (${problem.resolutionKind ?? 'every resolution'})`)
      }),
    )
    expect(results.flat()).toEqual([])
  }, 180_000)

  it("type-check the README's server and client, as ESM and as CommonJS, under tsc --strict with the packages' own .d.ts checked", () => {
    expect(tscOutput.text.trim()).toBe('')
    expect(tscOutput.code).toBe(0)
  })

  for (const [kind, ext] of [
    ['ESM', 'js'],
    ['CommonJS', 'cjs'],
  ] as const) {
    it(`run the README's server and client as ${kind}: the client hears its own message in the room and gets its ack`, async () => {
      const server = node(`server.${ext}`, { until: /^ready$/m })
      try {
        await server.ready
        const client = await node(`client.${ext}`).exited
        expect(client.output).toBe('ada: hello\ndone\n')
        expect(client.code).toBe(0)
      } finally {
        server.kill()
        const { output } = await server.exited
        expect(output).toBe('ready\n')
      }
    }, 60_000)

    it(`serve the browser client from the installed server package, loaded as ${kind}`, async () => {
      const { code, output } = await node(`serve-client.${ext}`).exited
      expect(output).toBe('client.js 200 has the client\nclient.mjs 200 has the client\n')
      expect(code).toBe(0)
    }, 60_000)
  }
})
