import { expectOnlyBuiltFiles, fetchPageScript, OFFLINE_ERRORS, useWebBuild, waitReconnecting, watchErrors } from '@org/example-kit/page-tests'
import { memoryStorage, type DocumentStorage } from '@org/realtime-ot/server'
import type { Page } from 'playwright-core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { usePages } from '../../../test/browser.js'
import { startEditorServer, type EditorServerOptions, type RunningEditorServer } from '../src/editor-server.js'

let server: RunningEditorServer
/** The documents of the test's server: a restarted server gets the same. */
let storage: DocumentStorage

// The page is built with Vite once for this file, into dist/web, unless the build there is newer
// than its sources and the packages it bundles (as `pnpm start` does).
const webDir = useWebBuild(new URL('..', import.meta.url), { into: 'dist' })

/** Starts the server of the test (port 0 unless given), on the page built above and the test's storage. */
async function start(options: EditorServerOptions = {}): Promise<RunningEditorServer> {
  return startEditorServer({ port: 0, host: '127.0.0.1', initialText: 'shared notes\n', webDir: webDir(), buildWeb: false, storage, ...options })
}

beforeEach(async () => {
  storage = memoryStorage()
  server = await start()
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
  if (options.offlineErrors === true) watchErrors(page, name, OFFLINE_ERRORS, unexpected)
  await page.locator('#text:enabled').waitFor({ timeout: 10_000 })
  await synchronized(page)
  return page
}

const connectionState = (page: Page) => page.locator('#connection').getAttribute('data-state')

/** Console and page errors of pages that go offline, other than their failed reconnections (`OFFLINE_ERRORS`). */
const unexpected: string[] = []

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

it('converges two pages typing at once, emoji included, shows each other’s caret and name, and undoes only this page’s edits', async () => {
  const alice = await open('Alice')
  const bob = await open('Bob')
  // The status line shows the connection too.
  await expect(alice.locator('#connection[data-state="connected"]').textContent()).resolves.toBe('connected')
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

  // Undo takes back this page's own edits only, wherever the others' edits moved them.
  await alice.locator('#text').press('Control+End')
  await alice.locator('#text').pressSequentially('A🙂')
  await converged(alice, bob)
  await bob.locator('#text').press('Control+Home')
  await bob.locator('#text').pressSequentially('B')
  await converged(alice, bob)
  await alice.locator('#text').press('Control+z')
  await alice.locator('#text').press('Control+z')
  expect(await converged(alice, bob)).toBe(`B${final}`)
  await alice.click('#redo')
  expect(await converged(alice, bob)).toBe(`B${final}A`)
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

it('shows refusals with their code (a paste past the size limit, a connection without a valid name) while the other pages keep working', async () => {
  await server.close()
  server = await start({ maxDocumentLength: 40 })
  const alice = await open('Alice')
  const bob = await open('Bob')
  // Mallory-sized paste on Alice's page: over the server's 40 code points.
  await alice.locator('#text').press('Control+End')
  await alice.locator('#text').pressSequentially('ok ')
  await converged(alice, bob)
  await alice.locator('#text').fill(`shared notes\nok ${'🙂'.repeat(60)}`)
  await alice.locator('#error[data-code="PAYLOAD_TOO_LARGE"]', { hasText: 'PAYLOAD_TOO_LARGE: ' }).waitFor({ timeout: 10_000 })
  expect(await bob.locator('#error').textContent()).toBe('')
  expect(await converged(alice, bob)).toBe('shared notes\nok ')
  // Both pages keep working.
  await bob.locator('#text').press('Control+End')
  await bob.locator('#text').pressSequentially('still fine')
  expect(await converged(alice, bob)).toBe('shared notes\nok still fine')

  // The server wants a name of 1 to 40 characters: this one is longer (the name form would not allow it).
  const mallory = await pages.open(`${server.url}?name=${'x'.repeat(41)}`, 'Mallory', { width: 900, height: 600 }, { expectErrors: true })
  await mallory.locator('#error[data-code="UNAUTHORIZED"]').waitFor({ timeout: 10_000 })
  expect(await mallory.locator('#status').getAttribute('data-state')).toBe('connecting')
  await bob.locator('#text').pressSequentially('!')
  expect(await converged(alice, bob)).toBe('shared notes\nok still fine!')
}, 60_000)

it('stays on the page through a server restart, reconnects, and shows the document with the edits made meanwhile', async () => {
  const alice = await open('Alice', { offlineErrors: true })
  const bob = await open('Bob', { offlineErrors: true })
  // Marks the page: still there after the restart means it was not reloaded.
  await alice.evaluate(() => Object.assign(window, { unreloaded: true }))
  await alice.locator('#text').press('Control+End')
  await alice.locator('#text').pressSequentially('before 🔌 ')
  await converged(alice, bob)

  const { port } = server
  await server.close()
  // Each page says it is reconnecting, with the attempt, and keeps its text.
  for (const page of [alice, bob]) {
    await waitReconnecting(page)
  }
  await alice.locator('#status[data-state="offline"]').waitFor({ timeout: 10_000 })
  await alice.locator('#text').pressSequentially('while down ✈️')
  expect(await text(alice)).toBe('shared notes\nbefore 🔌 while down ✈️')

  // The same port, the same documents: both pages come back by themselves.
  server = await start({ port })
  for (const page of [alice, bob]) await expect.poll(() => connectionState(page), { timeout: 20_000 }).toBe('connected')
  expect(await converged(alice, bob, 30_000)).toBe('shared notes\nbefore 🔌 while down ✈️')
  await bob.locator('#text').press('Control+End')
  await bob.locator('#text').pressSequentially(' and after')
  expect(await converged(alice, bob)).toBe('shared notes\nbefore 🔌 while down ✈️ and after')
  expect(await alice.evaluate(() => (window as { unreloaded?: boolean }).unreloaded)).toBe(true)
  for (const page of [alice, bob]) expect(await page.locator('#error').textContent()).toBe('')
}, 60_000)

it('serves the built page, whose bundle has the browser WebSocket client and not the ws package', async () => {
  const response = await fetchPageScript(server.url)
  expect(response.headers.get('cache-control')).toContain('immutable')
  const js = await response.text()
  expect(js).toContain('doc:submit')
  expect(js).not.toContain('ws does not work in the browser')
  // Only the built files are served: no path leads elsewhere, and no malformed one breaks the server.
  await expectOnlyBuiltFiles(server.port)
})
