/**
 * Browser bundle: everything the client package exports, bundled by esbuild for the browser,
 * minified, then gzip level 9; socket.io-client the same way. Deterministic, so run once.
 */
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('../..', import.meta.url))

const entries = {
  ours: '@org/realtime-client',
  socketio: 'socket.io-client',
}

export default {
  name: 'bundle',
  title: () => 'browser bundle of the client (esbuild, platform browser, minify; gzip -9)',
  impls: ['ours', 'socketio'],
  once: true,
  metrics: [
    { key: 'minBytes', label: 'minified bytes', better: 'lower', digits: 0 },
    { key: 'gzipBytes', label: 'minified + gzip bytes', better: 'lower', digits: 0 },
  ],
  async run(impl) {
    const result = await build({
      stdin: { contents: `export * from '${entries[impl]}'`, resolveDir: root, loader: 'js' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      write: false,
      logLevel: 'silent',
    })
    const code = result.outputFiles[0].contents
    return { minBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length }
  },
}
