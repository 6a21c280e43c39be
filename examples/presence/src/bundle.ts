import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/**
 * Bundles the page's script in memory. esbuild resolves `@org/realtime-*` through their `exports`
 * maps (so the packages must be built) and, for the browser, picks the WebSocket client on the
 * platform `WebSocket`.
 */
export async function buildBrowserBundle(): Promise<string> {
  const result = await build({
    absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
    entryPoints: ['src/web/app.ts'],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    minify: true,
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}
