import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { RealtimeClient } from '@org/realtime-client'
import { pollingTransport } from '@org/realtime-transport-polling/client'
import { sseTransport } from '@org/realtime-transport-sse/client'
import { build, type Metafile, type Plugin } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { once } from '../../../test/support.js'

const packages = fileURLToPath(new URL('../../', import.meta.url))

/** `@org/realtime-<dir>[/<name>]` to the package's sources, as vitest.config.ts resolves them. */
const sources: Plugin = {
  name: 'realtime-sources',
  setup(builder) {
    builder.onResolve({ filter: /^@org\/realtime-/ }, ({ path }) => {
      const [, dir, name] = /^@org\/realtime-([\w-]+)(?:\/([\w-]+))?$/.exec(path) ?? []
      if (dir === undefined) return undefined
      return { path: `${packages}${dir}/src/${name ?? 'index'}.ts` }
    })
  },
}

/** An app on the HTTP transports alone, as on a fetch-API runtime; prints its port. */
const app = `
import { RealtimeServer } from '@org/realtime-server'
import { pollingTransport } from '@org/realtime-transport-polling/server'
import { sseTransport } from '@org/realtime-transport-sse/server'

const rt = new RealtimeServer({ transports: [sseTransport(), pollingTransport()], logger: false })
rt.on('connection', (conn) => conn.on('echo', (data) => data))
const port = await rt.listen(0, { host: '127.0.0.1' })
console.log('port ' + port)
process.on('SIGTERM', () => void rt.close().then(() => process.exit(0)))
`

/** Whether an input file of the bundle is `ws` or the WebSocket transport. */
function isWebSocketCode(input: string): boolean {
  return /node_modules\/(\.pnpm\/ws@[^/]+\/node_modules\/)?ws\//.test(input) || input.includes('transport-ws/')
}

/** The outputs `entry` loads when it starts: itself and what it imports statically, transitively. */
function loadedAtStart(metafile: Metafile, entry: string): string[] {
  const loaded = new Set<string>()
  const visit = (output: string): void => {
    if (loaded.has(output)) return
    loaded.add(output)
    for (const imported of metafile.outputs[output]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path)
    }
  }
  visit(entry)
  return [...loaded]
}

describe('a bundle of the server with only the HTTP transports', () => {
  let dir: string
  let metafile: Metafile
  let entry: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'realtime-bundle-'))
    writeFileSync(join(dir, 'app.ts'), app)
    const result = await build({
      entryPoints: [join(dir, 'app.ts')],
      outdir: join(dir, 'out'),
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      plugins: [sources],
      external: ['bufferutil', 'utf-8-validate'],
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      metafile: true,
      logLevel: 'silent',
    })
    metafile = result.metafile
    entry = Object.keys(metafile.outputs).find((output) => metafile.outputs[output]?.entryPoint !== undefined) ?? ''
  })

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('loads no ws and no WebSocket transport when it starts', () => {
    const atStart = loadedAtStart(metafile, entry)
    expect(atStart.length).toBeGreaterThan(0)
    const inputs = atStart.flatMap((output) => Object.keys(metafile.outputs[output]?.inputs ?? {}))
    // The server's own sources are there: the check looks at the right files.
    expect(inputs.some((input) => input.includes('server/src/server.ts'))).toBe(true)
    expect(inputs.filter(isWebSocketCode)).toEqual([])
    for (const output of atStart) {
      const text = readFileSync(join(process.cwd(), output), 'utf8')
      // ws's error codes, which the WebSocket transport reads too.
      expect(text).not.toContain('WS_ERR_')
      expect(text).not.toMatch(/require\(["']ws["']\)|from ["']ws["']/)
    }
  })

  it('serves SSE and long-polling clients with every chunk that holds ws deleted', async () => {
    const wsChunks = Object.entries(metafile.outputs)
      .filter(([, output]) => Object.keys(output.inputs).some(isWebSocketCode))
      .map(([path]) => path)
    // The default transport list's dynamic import: ws is split off, not gone from the build.
    expect(wsChunks.length).toBeGreaterThan(0)
    for (const chunk of wsChunks) unlinkSync(join(process.cwd(), chunk))
    const child = spawn(process.execPath, [join(process.cwd(), entry)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    const exited = new Promise((resolve) => child.once('exit', resolve))
    const clients: RealtimeClient[] = []
    try {
      const deadline = Date.now() + 10_000
      while (!/port \d+/.test(output) && Date.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 20))
      const port = /port (\d+)/.exec(output)?.[1]
      expect(port, output).toBeDefined()
      for (const transport of [sseTransport(), pollingTransport()]) {
        const client = new RealtimeClient(`http://127.0.0.1:${port}/realtime`, { transports: [transport], reconnection: false })
        clients.push(client)
        await once(client.lifecycle, 'connect', 10_000)
        expect(await client.emitWithAck('echo', transport.name)).toBe(transport.name)
      }
      expect(output).not.toMatch(/error/i)
    } finally {
      for (const client of clients) client.disconnect()
      child.kill('SIGTERM')
      await exited
    }
  })
})
