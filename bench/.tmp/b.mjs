import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
const r = await build({ stdin: { contents: `export * from '@org/realtime-client'`, resolveDir: '/work/main', loader: 'js' }, bundle: true, splitting: true, outdir: '/tmp/an/out', platform: 'browser', format: 'esm', minify: true, write: true, metafile: true, logLevel: 'silent' })
for (const [p, o] of Object.entries(r.metafile.outputs)) {
  console.log(p, o.bytes)
  const ins = Object.entries(o.inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
  for (const [i, v] of ins) console.log('   ', v.bytesInOutput, i)
}
