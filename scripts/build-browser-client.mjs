// The client for pages without a bundler: one file with every transport, as an ES module and as a
// classic script that defines `window.Realtime`. Built from the sources (so it does not depend on
// the order in which the packages build), minified, with source maps.
//
//   node scripts/build-browser-client.mjs <outdir> <basename>
//
// writes <outdir>/<basename>.js (classic script), <outdir>/<basename>.mjs (ES module) and their
// .map files. packages/client ships them in dist/browser; packages/server ships its own copy in
// dist/client, which `rt.attach(server, { serveClient: true })` serves.
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const packages = fileURLToPath(new URL('../packages/', import.meta.url))

/** The name of the global the classic script defines. */
export const GLOBAL_NAME = 'Realtime'

/**
 * `@org/realtime-<dir>` is packages/<dir>/src/index.ts and `@org/realtime-<dir>/<name>` is
 * packages/<dir>/src/<name>.ts: the browser builds, the ones the `exports` maps give a browser.
 */
const sources = {
  name: 'realtime-sources',
  setup(builder) {
    builder.onResolve({ filter: /^@org\/realtime-/ }, ({ path }) => {
      const [, dir, name] = /^@org\/realtime-([\w-]+)(?:\/([\w-]+))?$/.exec(path) ?? []
      if (dir === undefined) return undefined
      return { path: `${packages}${dir}/src/${name ?? 'index'}.ts` }
    })
  },
}

/** Builds the two files into `outdir`; resolves with their paths. */
export async function buildBrowserClient(outdir, basename) {
  mkdirSync(outdir, { recursive: true })
  const common = {
    entryPoints: [`${packages}client/src/index.ts`],
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    plugins: [sources],
    logLevel: 'warning',
  }
  const classic = resolve(outdir, `${basename}.js`)
  const module = resolve(outdir, `${basename}.mjs`)
  // Without code splitting, the transports the client loads on demand are inlined: one file each.
  await Promise.all([
    build({ ...common, format: 'iife', globalName: GLOBAL_NAME, outfile: classic }),
    build({ ...common, format: 'esm', outfile: module }),
  ])
  return { classic, module }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outdir, basename] = process.argv.slice(2)
  if (outdir === undefined || basename === undefined) {
    console.error('usage: node scripts/build-browser-client.mjs <outdir> <basename>')
    process.exit(2)
  }
  const { classic, module } = await buildBrowserClient(outdir, basename)
  console.log(`browser client: ${classic} and ${module}`)
}
