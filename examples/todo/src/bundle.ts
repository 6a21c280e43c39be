import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** Bundles the page's script in memory (the packages must be built: esbuild reads their `exports`). */
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
