import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { collectCodeBlocks, extractCodeBlocks } from './code-blocks.js'
import { typeCheckBlocks } from './type-check.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
// The ambient declarations the blocks are checked with (the convention is described there). They
// live outside test/ so that `pnpm typecheck` of the tests does not see their globals.
const preludes = ['snippet-prelude.d.ts', 'snippet-modules.d.ts'].map((file) => fileURLToPath(new URL(`../../scripts/docs-site/${file}`, import.meta.url)))

describe('TypeScript code blocks in the docs and READMEs', () => {
  const blocks = collectCodeBlocks(root)
  const optedOut = blocks.filter((block) => block.notChecked !== undefined)

  it('finds the blocks of docs/*.md, README.md and the package and example READMEs', () => {
    const files = new Set(blocks.map((block) => block.file))
    expect(files).toContain('README.md')
    expect(files).toContain('docs/getting-started.md')
    expect(files).toContain('packages/client/README.md')
    expect(blocks.filter((block) => block.lang === 'tsx').length).toBeGreaterThan(0)
  })

  it('type-check against the workspace sources', () => {
    const diagnostics = typeCheckBlocks(root, blocks.filter((block) => block.notChecked === undefined), preludes)
    expect(diagnostics.map(({ at, message }) => `${at}: ${message}`)).toEqual([])
  }, 180_000)

  it('opt out rarely, each with a reason', () => {
    // Listed so that a reviewer sees them: `<!-- not-checked: reason -->` right before a block.
    const listed = optedOut.map((block) => `${block.file}:${block.line}: ${block.notChecked}`)
    expect(listed.every((entry) => !entry.endsWith('(no reason given)'))).toBe(true)
    expect(optedOut.length).toBeLessThanOrEqual(Math.ceil(blocks.length / 10))
  })
})
