import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // Runs in browsers as well as Node: no Node built-ins, no Node-only resolution.
  platform: 'neutral',
  target: 'es2022',
})
