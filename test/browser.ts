import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { findChromium } from '../scripts/test-env/find-chromium.mjs'

const packagesDist = fileURLToPath(new URL('../packages/client/dist', import.meta.url))

/**
 * Chrome or Chromium for the page tests of a file: launched once, every page closed after each
 * test, and any page error or console error fails that test. The browser is `CHROMIUM_PATH`, else
 * the first on PATH, else one in the usual install locations (scripts/setup-test-env.mjs, which
 * the root `pnpm test` runs first, looks the same way and installs Debian's Chromium when there is
 * none). Page bundles resolve the packages through their `dist`, so the packages must be built
 * (the root `pnpm test` builds them).
 */
export function usePages(): {
  /** Opens `url` in a new page; `expectErrors` for a page whose console is to show the server's refusals. */
  open(url: string, label: string, viewport: { width: number; height: number }, options?: { expectErrors?: boolean }): Promise<Page>
} {
  let browser: Browser
  const pages: Page[] = []
  const pageErrors: string[] = []
  beforeAll(async () => {
    if (!existsSync(packagesDist)) throw new Error('packages/*/dist is missing: run `pnpm build` at the repo root first (the root `pnpm test` does)')
    const found = findChromium()
    if (found.path === undefined) throw new Error(found.error)
    browser = await chromium.launch({
      executablePath: found.path,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 15_000,
    })
  })
  afterAll(async () => {
    await browser?.close()
  })
  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close()
    expect(pageErrors.splice(0)).toEqual([])
  })
  return {
    async open(url, label, viewport, options = {}) {
      const page = await browser.newPage({ viewport })
      pages.push(page)
      page.setDefaultTimeout(5000)
      if (options.expectErrors !== true) page.on('pageerror', (error) => pageErrors.push(`${label}: ${error.message}`))
      if (options.expectErrors !== true) {
        page.on('console', (message) => {
          if (message.type() === 'error') pageErrors.push(`${label}: ${message.text()}`)
        })
      }
      await page.goto(url)
      return page
    },
  }
}

/**
 * A page's script: `contents` (TypeScript that puts what the page needs on `window`) bundled for
 * the browser as one ES module, its imports resolved from `resolveDir` and by `plugins`.
 */
export async function pageScript(contents: string, resolveDir: string, plugins: Plugin[] = []): Promise<string> {
  const result = await build({
    stdin: { contents, resolveDir, loader: 'ts' },
    ...{ bundle: true, platform: 'browser', format: 'esm', write: false, plugins, logLevel: 'silent' },
  })
  return result.outputFiles[0]!.text
}
