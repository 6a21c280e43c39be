import type { Options } from 'tsup'

/**
 * The tsup settings every package shares: ESM + CJS + .d.ts with source maps. `neutral` packages
 * run in browsers as well as Node.js, so they get no Node built-ins and an ES2022 target.
 */
export function packageConfig(entry: Record<string, string>, runsIn: 'node' | 'neutral'): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    platform: runsIn,
    target: runsIn === 'node' ? 'node20' : 'es2022',
  }
}
