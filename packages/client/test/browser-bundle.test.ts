import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url))

/** Bundles the built client the way an app's bundler does for a browser. */
async function bundleForBrowser() {
  if (!existsSync(entry)) throw new Error('packages/client/dist is missing: run `pnpm build` (the root `pnpm test` does)')
  const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', minify: true, write: false, metafile: true })
  const code = result.outputFiles[0]!.contents
  return { inputs: Object.keys(result.metafile.inputs), gzipBytes: gzipSync(code, { level: 9 }).length }
}

describe('browser bundle of the client', () => {
  it('takes the platform WebSocket build of the transport and never pulls in ws', async () => {
    const { inputs } = await bundleForBrowser()
    expect(inputs.some((path) => path.endsWith('transport-ws/dist/client.js'))).toBe(true)
    expect(inputs.filter((path) => /(^|\/)(ws|eventemitter3)@|client-node/.test(path))).toEqual([])
  })

  it('stays within 5 KB minified and gzipped, client and WebSocket transport together', async () => {
    const { gzipBytes } = await bundleForBrowser()
    expect(gzipBytes).toBeLessThanOrEqual(5 * 1024)
  })
})
