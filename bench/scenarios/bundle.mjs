/**
 * Browser bundle: everything the client package exports, bundled by esbuild for the browser
 * (ESM, code splitting, minified), each file gzipped at level 9; socket.io-client the same way.
 * "Initial" is the entry file and what it imports statically, i.e. the client with its WebSocket
 * transport; "all" adds the chunks loaded on demand (our SSE and long-polling transports).
 * Deterministic, so run once.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { build, stop } from 'esbuild'

const root = fileURLToPath(new URL('../..', import.meta.url))

const entries = {
  ours: '@org/realtime-client',
  socketio: 'socket.io-client',
}

export default {
  name: 'bundle',
  title: () => 'browser bundle of the client (esbuild: browser, ESM, splitting, minify; gzip -9)',
  impls: ['ours', 'socketio'],
  once: true,
  metrics: [
    { key: 'initialMin', label: 'initial, minified bytes', better: 'lower', digits: 0 },
    { key: 'initialGzip', label: 'initial, minified + gzip bytes', better: 'lower', digits: 0 },
    { key: 'allGzip', label: 'with every transport, minified + gzip bytes', better: 'lower', digits: 0 },
  ],
  async run(impl) {
    const outdir = mkdtempSync(join(tmpdir(), 'bench-bundle-'))
    try {
      const result = await build({
        stdin: { contents: `export * from '${entries[impl]}'`, resolveDir: root, loader: 'js', sourcefile: 'entry.js' },
        bundle: true,
        splitting: true,
        outdir,
        platform: 'browser',
        format: 'esm',
        minify: true,
        write: false,
        metafile: true,
        logLevel: 'silent',
      })
      const files = new Map(result.outputFiles.map((f) => [f.path, f.contents]))
      const outputs = result.metafile.outputs
      const entry = Object.keys(outputs).find((p) => outputs[p].entryPoint !== undefined)
      // The entry and its static imports, transitively.
      const initial = new Set()
      const visit = (path) => {
        if (initial.has(path)) return
        initial.add(path)
        for (const imp of outputs[path].imports) if (imp.kind === 'import-statement') visit(imp.path)
      }
      visit(entry)
      const size = (paths, gzip) =>
        [...paths].reduce((sum, p) => {
          const code = files.get(join(root, p)) ?? files.get(p)
          return sum + (gzip ? gzipSync(code, { level: 9 }).length : code.length)
        }, 0)
      const js = Object.keys(outputs).filter((p) => p.endsWith('.js'))
      return { initialMin: size(initial, false), initialGzip: size(initial, true), allGzip: size(js, true) }
    } finally {
      rmSync(outdir, { recursive: true, force: true })
      // End esbuild's service process, so that it neither outlives the run nor counts as other load.
      await stop()
    }
  },
}
