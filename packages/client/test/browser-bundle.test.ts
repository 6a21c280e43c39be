import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url))

/**
 * Bundles the built client the way an app's bundler does for a browser, splitting what is loaded
 * on demand (the `'sse'` and `'polling'` transports named by string) into chunks of its own.
 */
async function bundleForBrowser() {
  if (!existsSync(entry)) throw new Error('packages/client/dist is missing: run `pnpm build` (the root `pnpm test` does)')
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    splitting: true,
    outdir: 'out',
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
  })
  const [main, ...chunks] = Object.entries(result.metafile.outputs).sort(([, a], [, b]) => Number(b.entryPoint !== undefined) - Number(a.entryPoint !== undefined))
  const contents = (name: string) => result.outputFiles.find((file) => file.path.endsWith(name.replace(/^out/, '')))!.contents
  return {
    mainInputs: Object.keys(main![1].inputs),
    chunkInputs: chunks.flatMap(([, output]) => Object.keys(output.inputs)),
    gzipBytes: gzipSync(contents(main![0]), { level: 9 }).length,
  }
}

describe('browser bundle of the client', () => {
  it('takes the platform WebSocket build of the transport and never pulls in ws', async () => {
    const { mainInputs, chunkInputs } = await bundleForBrowser()
    expect(mainInputs.some((path) => path.endsWith('transport-ws/dist/client.js'))).toBe(true)
    expect([...mainInputs, ...chunkInputs].filter((path) => /(^|\/)(ws|eventemitter3)@|client-node/.test(path))).toEqual([])
  })

  it('leaves the SSE and polling transports to chunks loaded when a client names them', async () => {
    const { mainInputs, chunkInputs } = await bundleForBrowser()
    expect(mainInputs.filter((path) => /transport-(sse|polling)/.test(path))).toEqual([])
    expect(chunkInputs.some((path) => path.includes('transport-sse/dist/client.js'))).toBe(true)
    expect(chunkInputs.some((path) => path.includes('transport-polling/dist/client.js'))).toBe(true)
  })

  it('stays within 5 KB minified and gzipped, client and WebSocket transport together', async () => {
    const { gzipBytes } = await bundleForBrowser()
    expect(gzipBytes).toBeLessThanOrEqual(5 * 1024)
  })
})
