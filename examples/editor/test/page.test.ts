import type { Page } from 'playwright-core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { usePages } from '../../../test/browser.js'
import { startEditorServer, type RunningEditorServer } from '../src/editor-server.js'

let server: RunningEditorServer

beforeEach(async () => {
  server = await startEditorServer({ port: 0, host: '127.0.0.1', initialText: 'shared notes\n' })
})

// Registered before the pages' hooks, so it runs after them: the pages close before the server.
afterEach(async () => {
  await server?.close()
})

const pages = usePages()

/** Opens the editor as `name` and waits until the document arrived and is synchronized. */
async function open(name: string, options: { offlineErrors?: boolean } = {}): Promise<Page> {
  const url = `${server.url}?name=${encodeURIComponent(name)}`
  const page = await pages.open(url, name, { width: 900, height: 600 }, { expectErrors: options.offlineErrors })
  if (options.offlineErrors === true) watchErrors(page, name)
  await page.locator('#text:enabled').waitFor({ timeout: 10_000 })
  await synchronized(page)
  return page
}

const unexpected: string[] = []

/**
 * For a page that goes offline: Chromium logs its failed reconnection attempts as console errors
 * (`WebSocket connection to … failed`), which are expected; any other console error or page error is not.
 */
function watchErrors(page: Page, label: string): void {
  page.on('pageerror', (error) => unexpected.push(`${label}: ${error.message}`))
  page.on('console', (message) => {
    const text = message.text()
    if (message.type() === 'error' && !/ERR_INTERNET_DISCONNECTED|WebSocket connection to .* failed/.test(text)) unexpected.push(`${label}: ${text}`)
  })
}

afterEach(() => {
  expect(unexpected.splice(0)).toEqual([])
})

const synchronized = (page: Page, timeout = 10_000) => page.locator('#status[data-state="synchronized"]').waitFor({ timeout })
const text = (page: Page) => page.inputValue('#text')
const serverText = async () => (await server.docs.read('notes')).text
const occurrences = (haystack: string, needle: string) => haystack.split(needle).length - 1

/** The text the mirror shows before the first remote caret it draws. */
const textBeforeCaret = (page: Page) =>
  page.locator('#mirror').evaluate((mirror) => {
    let before = ''
    for (let node = mirror.querySelector('.caret')?.previousSibling; node; node = node.previousSibling) before = (node.textContent ?? '') + before
    return before
  })

/** Waits until both pages are synchronized and show the server's text; returns it. */
async function converged(a: Page, b: Page, timeout = 30_000): Promise<string> {
  await synchronized(a, timeout)
  await synchronized(b, timeout)
  const expected = await serverText()
  await expect.poll(() => text(a), { timeout }).toBe(expected)
  await expect.poll(() => text(b), { timeout }).toBe(expected)
  return expected
}

it('converges two pages typing at once, emoji included, and shows each other’s caret and name', async () => {
  const alice = await open('Alice')
  const bob = await open('Bob')
  await alice.locator('#text').press('Control+End')
  await bob.locator('#text').press('Control+Home')
  // Each keystroke is an edit of its own; both pages type at the same time.
  const aliceWords = 'alice types 🙂 here, '
  const bobWords = 'bob 👋🏽 writes too; '
  await Promise.all([
    alice.locator('#text').pressSequentially(aliceWords, { delay: 15 }),
    bob.locator('#text').pressSequentially(bobWords, { delay: 15 }),
  ])
  const final = await converged(alice, bob)
  expect(occurrences(final, aliceWords)).toBe(1)
  expect(occurrences(final, bobWords)).toBe(1)
  expect(occurrences(final, 'shared notes\n')).toBe(1)
  expect([...final]).toHaveLength([...'shared notes\n'].length + [...aliceWords].length + [...bobWords].length)
  expect(final.startsWith(bobWords)).toBe(true)
  expect(final.endsWith(aliceWords)).toBe(true)

  // Each page draws the other's caret with its name, at the end of what it typed.
  await alice.locator('#mirror .caret[data-name="Bob"]').waitFor({ timeout: 10_000 })
  await bob.locator('#mirror .caret[data-name="Alice"]').waitFor({ timeout: 10_000 })
  await expect(alice.locator('#people li').allTextContents()).resolves.toEqual(['Bob'])
  await expect.poll(() => textBeforeCaret(alice), { timeout: 10_000 }).toBe(bobWords)
  await alice.screenshot({ path: '/tmp/editor.png' })
}, 60_000)

it('keeps editing offline, says so, and converges when the page is back', async () => {
  const alice = await open('Alice')
  const bob = await open('Bob', { offlineErrors: true })

  // Bob's network goes: the page can no longer connect, and its open connection is dropped.
  await bob.context().setOffline(true)
  for (const conn of server.rt.connections.values()) if (conn.data.name === 'Bob') conn.terminate()
  await bob.locator('#status[data-state="offline"]').waitFor({ timeout: 10_000 })

  await bob.locator('#text').press('Control+Home')
  await alice.locator('#text').press('Control+End')
  const bobWords = 'written offline ✈️ by bob. '
  const aliceWords = 'meanwhile 🌍 alice. '
  await Promise.all([
    bob.locator('#text').pressSequentially(bobWords, { delay: 10 }),
    alice.locator('#text').pressSequentially(aliceWords, { delay: 10 }),
  ])
  await synchronized(alice)
  await expect(bob.locator('#status').getAttribute('data-state')).resolves.toBe('offline')
  expect(await serverText()).not.toContain('offline')
  expect(await text(bob)).toBe(`${bobWords}shared notes\n`)
  // Bob deletes a word of what he wrote, still offline.
  await bob.locator('#text').press('Control+Home')
  for (let i = 0; i < 'written '.length; i++) await bob.locator('#text').press('Delete')

  await bob.context().setOffline(false)
  const final = await converged(alice, bob, 40_000)
  expect(final).toBe(`offline ✈️ by bob. shared notes\n${aliceWords}`)
}, 90_000)

it('keeps edits made offline across a reload, and sends them once when back', async () => {
  const alice = await open('Alice')
  const bob = await open('Bob', { offlineErrors: true })
  // Bob's page can load, but while `blocked` its WebSocket cannot connect. Playwright routes the
  // WebSockets of documents loaded after the route is set, so the page is loaded again first.
  let blocked = false
  await bob.routeWebSocket(/\/realtime/, (ws) => {
    if (blocked) ws.close()
    else ws.connectToServer()
  })
  await bob.reload()
  await bob.locator('#text:enabled').waitFor({ timeout: 10_000 })
  await synchronized(bob)
  blocked = true
  for (const conn of server.rt.connections.values()) if (conn.data.name === 'Bob') conn.terminate()
  await bob.locator('#status[data-state="offline"]').waitFor({ timeout: 10_000 })
  await bob.locator('#text').press('Control+End')
  const bobWords = 'kept across a reload 🔁'
  await bob.locator('#text').pressSequentially(bobWords)
  await alice.locator('#text').press('Control+Home')
  await alice.locator('#text').pressSequentially('A: ')
  await synchronized(alice)
  // Long enough for the client's first reconnection attempts (1 s backoff): refused, still offline.
  await bob.waitForTimeout(2500)
  await expect(bob.locator('#status').getAttribute('data-state')).resolves.toBe('offline')
  expect(await serverText()).toBe('A: shared notes\n')

  await bob.reload()
  // Still offline: the document waits for the server before it shows, with Bob's edits kept.
  await bob.locator('#status[data-state="connecting"]').waitFor()
  await expect(bob.locator('#text').isDisabled()).resolves.toBe(true)
  expect(await serverText()).toBe('A: shared notes\n')
  blocked = false
  const final = await converged(alice, bob, 40_000)
  expect(final).toBe(`A: shared notes\n${bobWords}`)
}, 90_000)

it('undoes only this page’s own edits', async () => {
  const alice = await open('Alice')
  const bob = await open('Bob')
  await alice.locator('#text').press('Control+End')
  await alice.locator('#text').pressSequentially('A🙂')
  await converged(alice, bob)
  await bob.locator('#text').press('Control+Home')
  await bob.locator('#text').pressSequentially('B')
  await converged(alice, bob)
  await alice.locator('#text').press('Control+z')
  await alice.locator('#text').press('Control+z')
  expect(await converged(alice, bob)).toBe('Bshared notes\n')
  await alice.click('#redo')
  expect(await converged(alice, bob)).toBe('Bshared notes\nA')
}, 60_000)

it('refuses a paste past the document size limit, shows why, and keeps both pages on the server text', async () => {
  await server.close()
  server = await startEditorServer({ port: 0, host: '127.0.0.1', initialText: 'shared notes\n', maxDocumentLength: 40 })
  const alice = await open('Alice')
  const bob = await open('Bob')
  // Mallory-sized paste on Alice's page: over the server's 40 code points.
  await alice.locator('#text').press('Control+End')
  await alice.locator('#text').pressSequentially('ok ')
  await converged(alice, bob)
  await alice.locator('#text').fill(`shared notes\nok ${'🙂'.repeat(60)}`)
  await alice.locator('#error', { hasText: /./ }).waitFor({ timeout: 10_000 })
  expect(await converged(alice, bob)).toBe('shared notes\nok ')
  // Both pages keep working.
  await bob.locator('#text').press('Control+End')
  await bob.locator('#text').pressSequentially('still fine')
  expect(await converged(alice, bob)).toBe('shared notes\nok still fine')
}, 60_000)

it('serves a bundle without the ws package', async () => {
  const js = await (await fetch(new URL('/app.js', server.url))).text()
  expect(js).toContain('doc:submit')
  expect(js).not.toContain('ws does not work in the browser')
})
