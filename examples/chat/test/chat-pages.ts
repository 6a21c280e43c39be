import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildWeb } from '@org/example-kit/web-build'
import type { Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { startChatServer, type ChatServer, type ChatServerOptions } from '../src/chat-server.js'
import { usePages } from '../../../test/browser.js'

/** What a page test of the chat uses: its pages, servers serving one build, and helpers. */
export interface ChatPages {
  /** The directory of this file's build of the page. */
  webDir(): string
  /** A chat server on a free port (or `options.port`) serving that build; closed after the test. */
  start(options?: ChatServerOptions): Promise<ChatServer>
  /** The last server `start` made (undefined once closed by the test with `closed()`). */
  server(): ChatServer
  /** Forgets the current server, which the test closed itself. */
  closed(): void
  /** Opens `url` (the server's by default) as `name` and waits until #general is ready to send. */
  enter(name: string, url?: string): Promise<Page>
  /** Opens a page as `usePages().open` does. */
  open: ReturnType<typeof usePages>['open']
}

/**
 * Chromium pages against chat servers that serve the page built once for the test file (into a
 * temporary directory, in `beforeAll`).
 */
export function useChatPages(): ChatPages {
  const pages = usePages()
  let webDir = ''
  let server: ChatServer | undefined
  beforeAll(async () => {
    webDir = await mkdtemp(join(tmpdir(), 'chat-web-'))
    await buildWeb({ exampleDir: fileURLToPath(new URL('..', import.meta.url)), outDir: webDir })
  }, 120_000)
  afterAll(async () => {
    await rm(webDir, { recursive: true, force: true })
  })
  afterEach(async () => {
    await server?.close()
    server = undefined
  })
  return {
    webDir: () => webDir,
    async start(options = {}) {
      server = await startChatServer({ port: 0, host: '127.0.0.1', webDir, buildWeb: false, ...options })
      return server
    },
    server() {
      if (server === undefined) throw new Error('no chat server: call start() first')
      return server
    },
    closed() {
      server = undefined
    },
    async enter(name, url = server?.url) {
      const page = await pages.open(url ?? '', name, { width: 900, height: 560 })
      await page.fill('#name', name)
      await page.press('#name', 'Enter')
      await page.locator('#status[data-state="connected"]').waitFor()
      await page.locator('#text:enabled').waitFor()
      return page
    },
    open: (...args) => pages.open(...args),
  }
}

/** The notices of the room list of `page` that contain `text`. */
export const notice = (page: Page, text: string) => page.locator('#messages .notice', { hasText: text })

/** The texts of the messages `page` shows, in order. */
export const messageTexts = (page: Page): Promise<string[]> => page.locator('#messages li:not(.notice) .text').allTextContents()

/** Sends `text` from `page` and waits until every page of `seenBy` shows it. */
export async function say(page: Page, text: string, seenBy: Page[]): Promise<void> {
  await page.fill('#text', text)
  await page.press('#text', 'Enter')
  for (const other of seenBy) await other.locator('#messages li', { hasText: text }).waitFor({ timeout: 10_000 })
}

/** Sets the value of the input `#id` as a script could, past its `maxlength`, so the server decides. */
export async function setValueBypassingMaxLength(page: Page, id: string, value: string): Promise<void> {
  await page.evaluate(
    ([inputId, text]) => {
      const input = document.getElementById(inputId) as HTMLInputElement
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, text)
      input.dispatchEvent(new Event('input', { bubbles: true }))
    },
    [id, value] as const,
  )
}
