import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error -- a plain .mjs script without types
import { buildSite } from '../../scripts/docs-site/build.mjs'
// @ts-expect-error -- a plain .mjs script without types
import { gettingStarted, guides, reference } from '../../scripts/docs-site/guides.mjs'

const root = fileURLToPath(new URL('../../', import.meta.url))
let out = ''
let result: { pages: string[]; missing: string[]; broken: string[] }

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.html'))
    .map((entry) => relative(out, join(entry.parentPath, entry.name)))
}

describe('pnpm docs:site', () => {
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'docs-site-'))
    result = buildSite({ root, out })
  }, 300_000)
  afterAll(() => rmSync(out, { recursive: true, force: true }))

  it('renders getting started, every guide, the protocol and the error list as pages', () => {
    expect(result.missing).toEqual([])
    const listed = [gettingStarted, ...guides, ...reference] as { file: string }[]
    for (const { file } of listed) {
      const html = readFileSync(join(out, file.replace(/\.md$/, '.html')), 'utf8')
      expect(html).toMatch(/<h1 id="[^"]+">/)
      expect(html).not.toMatch(/^```/m)
    }
    const index = readFileSync(join(out, 'index.html'), 'utf8')
    for (const { file } of listed) expect(index).toContain(`href="${file.replace(/\.md$/, '.html')}`)
    expect(index).toContain('href="api/index.html"')
    expect(existsSync(join(out, 'api/index.html'))).toBe(true)
  })

  it('has no relative link whose target or anchor is missing', () => {
    expect(result.broken).toEqual([])
    const unresolved: string[] = []
    const pages = htmlFiles(out).filter((file) => !file.startsWith('api/'))
    for (const file of pages) {
      const html = readFileSync(join(out, file), 'utf8')
      for (const [, href] of html.matchAll(/\s(?:href|src)="([^"]+)"/g)) {
        if (/^[a-z]+:/i.test(href!)) continue
        const [path, hash] = decodeURI(href!).split('#')
        const target = path ? join(out, dirname(file), path) : join(out, file)
        if (!existsSync(target)) {
          unresolved.push(`${file}: ${href}`)
        } else if (hash && target.endsWith('.html') && !relative(out, target).startsWith('api')) {
          if (!readFileSync(target, 'utf8').includes(`id="${hash}"`)) unresolved.push(`${file}: ${href} (no such anchor)`)
        }
      }
    }
    expect(unresolved).toEqual([])
  })
})
