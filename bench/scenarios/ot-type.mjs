/**
 * The OT text type (`@org/realtime-ot`) next to `ot-text-unicode` 4 (ShareDB's plain-text type):
 * transform and compose of the same editing ops, and apply of single-character edits to a 100 KB
 * document (2% emoji). Each run is a fresh process (ot-type-child.mjs) that generates the seeded
 * ops, warms up, then measures; it checks that both types produce the expected text and fails
 * the run otherwise. Our type is bundled from its source by esbuild (what tsup builds, so no
 * `pnpm build` of the package is needed); deletes carry their text for both types.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { build, stop } from 'esbuild'

const run = promisify(execFile)
const child = fileURLToPath(new URL('./ot-type-child.mjs', import.meta.url))
const packages = fileURLToPath(new URL('../../packages/', import.meta.url))

export default {
  name: 'ot-type',
  title: (size) => `OT text type: transform, compose of editing ops; apply to a ${size.docKb} KB document`,
  impls: ['ours', 'ot-text-unicode'],
  sizes: {
    quick: { docKb: 100, pairs: 5000, applyOps: 20_000, baselineApplyOps: 1000, seconds: 1 },
    full: { docKb: 100, pairs: 20_000, applyOps: 50_000, baselineApplyOps: 3000, seconds: 3 },
  },
  metrics: [
    { key: 'transformPerSec', label: 'transforms/s', better: 'higher', digits: 0 },
    { key: 'composePerSec', label: 'composes/s', better: 'higher', digits: 0 },
    { key: 'applyPerSec', label: 'applies/s on the document', better: 'higher', digits: 0 },
  ],
  async run(impl, size) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-ot-'))
    try {
      const outfile = join(dir, 'text.mjs')
      await build({
        entryPoints: [join(packages, 'ot/src/text/index.ts')],
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        outfile,
        alias: { '@org/realtime-core': join(packages, 'core/src/index.ts') },
        logLevel: 'silent',
      })
      const { stdout } = await run(process.execPath, [child, impl, JSON.stringify(size), outfile], { timeout: 300_000, maxBuffer: 1 << 20 })
      return JSON.parse(stdout)
    } finally {
      rmSync(dir, { recursive: true, force: true })
      await stop()
    }
  },
}
