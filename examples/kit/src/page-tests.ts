import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, expect } from 'vitest'
import { rawStatus } from './raw-request.js'
import { buildWeb, defaultWebDir, ensureWebBuild } from './web-build.js'

/** Where {@link useWebBuild} builds the page. */
export interface UseWebBuildOptions {
  /**
   * `'temporary'`: a fresh build in a temporary directory, removed after the file (for an example
   * whose page test files run at once: none waits on another's build); `'dist'`: the example's
   * `dist/web`, built only when older than its sources, as `pnpm start` does.
   * @default 'temporary'
   */
  readonly into?: 'temporary' | 'dist'
}

/**
 * For a page test file: builds the page of the example in `exampleDir` (a URL such as
 * `new URL('..', import.meta.url)`, or a path) once for the file, in `beforeAll`. Returns the
 * directory of that build, to read once the hook ran (in a test, or a `beforeEach`).
 */
export function useWebBuild(exampleDir: URL | string, { into = 'temporary' }: UseWebBuildOptions = {}): () => string {
  const dir = exampleDir instanceof URL ? fileURLToPath(exampleDir) : exampleDir
  let webDir = ''
  beforeAll(async () => {
    if (into === 'dist') {
      await ensureWebBuild({ exampleDir: dir })
      webDir = defaultWebDir(dir)
    } else {
      webDir = await mkdtemp(join(tmpdir(), `${basename(dir)}-web-`))
      await buildWeb({ exampleDir: dir, outDir: webDir })
    }
  }, 120_000)
  afterAll(async () => {
    if (into === 'temporary' && webDir !== '') await rm(webDir, { recursive: true, force: true })
  })
  return () => webDir
}

/** Types `name` into the login form's `#name`, submits, and waits until `#status` says connected. */
export async function enterName(page: Page, name: string): Promise<void> {
  await page.fill('#name', name)
  await page.press('#name', 'Enter')
  await page.locator('#status[data-state="connected"]').waitFor()
}

/** Sets the value of the input `#id` as a script could, past its `maxlength`, so that the server decides. */
export async function setInputValue(page: Page, id: string, value: string): Promise<void> {
  await page.evaluate(
    ([inputId, text]) => {
      const input = document.getElementById(inputId) as HTMLInputElement
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, text)
      input.dispatchEvent(new Event('input', { bubbles: true }))
    },
    [id, value] as const,
  )
}

/**
 * Waits until the page's `ConnectionBadge` `#id` says it is reconnecting, with its attempt:
 * `data-state="reconnecting"`, `data-attempt`, and "reconnecting (attempt N)…".
 * @param timeout ms for each wait. @default 10000
 */
export async function waitReconnecting(page: Page, id = 'connection', timeout = 10_000): Promise<void> {
  await page.locator(`#${id}[data-state="reconnecting"][data-attempt]`, { hasText: /^reconnecting \(attempt \d+\)…$/ }).waitFor({ timeout })
}

/** The console errors Chromium logs for a page whose server or network is gone (its failed reconnections). */
export const OFFLINE_ERRORS = /ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED|WebSocket connection to .* failed/

/**
 * For a page opened with `expectErrors` (its console shows what is expected to fail): its console
 * errors that match `expected` are let through; any other, and any uncaught exception, is pushed
 * to `problems` as `label: message`, for the test to check.
 */
export function watchErrors(page: Page, label: string, expected: RegExp, problems: string[]): void {
  page.on('pageerror', (error) => problems.push(`${label}: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' && !expected.test(message.text())) problems.push(`${label}: ${message.text()}`)
  })
}

/**
 * Fetches the page at `url` and then its script, which must be Vite's hashed bundle
 * (`/assets/index-….js`); returns the bundle's response, its body unread.
 */
export async function fetchPageScript(url: string): Promise<Response> {
  const html = await (await fetch(url)).text()
  const script = /<script type="module"[^>]* src="([^"]+)"/.exec(html)?.[1]
  expect(script).toMatch(/^\/assets\/index-[\w-]+\.js$/)
  return fetch(new URL(script!, url))
}

/**
 * Checks that the server on `port` serves the built files only: traversals, malformed paths,
 * the sources and a POST are 404; the page with a query is 200.
 */
export async function expectOnlyBuiltFiles(port: number): Promise<void> {
  const paths = ['/../package.json', '/assets/../../package.json', '/%2e%2e/package.json', '/assets/%2e%2e%2fpackage.json', '//[', 'http://[', '/src/web/main.tsx']
  for (const path of paths) expect(await rawStatus(port, `GET ${path} HTTP/1.1`), path).toBe(404)
  expect(await rawStatus(port, 'POST / HTTP/1.1')).toBe(404)
  expect(await rawStatus(port, 'GET /?x=1 HTTP/1.1')).toBe(200)
}
