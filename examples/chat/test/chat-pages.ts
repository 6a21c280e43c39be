import { enterName, useWebBuild } from '@org/example-kit/page-tests'
import type { Page } from 'playwright-core'
import { afterEach } from 'vitest'
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
  const webDir = useWebBuild(new URL('..', import.meta.url))
  let server: ChatServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })
  return {
    webDir,
    async start(options = {}) {
      server = await startChatServer({ port: 0, host: '127.0.0.1', webDir: webDir(), buildWeb: false, ...options })
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
      await enterName(page, name)
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
