import { expectOnlyBuiltFiles, fetchPageScript, OFFLINE_ERRORS, useWebBuild, waitReconnecting, watchErrors } from '@org/example-kit/page-tests'
import type { Page } from 'playwright-core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { usePages } from '../../../test/browser.js'
import { useTestDatabase } from '../../../packages/postgres/test/pg-support.js'
import { startTodoServer, type TodoServer, type TodoServerOptions } from '../src/todo-server.js'

const database = useTestDatabase('SELECT 1')
let server: TodoServer
let runs = 0
/** Each test has lists of its own: the table is shared by the tests of this file. */
let list = 0
const opened: Page[] = []
const unexpected: string[] = []

// The page is built with Vite once for this file, into dist/web, unless the build there is newer
// than its sources and the packages it bundles (as `pnpm start` does).
const webDir = useWebBuild(new URL('..', import.meta.url), { into: 'dist' })

/** The test's server: its own slot, on the page built above (port 0 unless given). */
function start(options: Partial<TodoServerOptions> = {}): Promise<TodoServer> {
  return startTodoServer({ connectionString: database.url, port: 0, slot: `${database.name}_todo${runs}`, webDir: webDir(), buildWeb: false, ...options })
}

beforeEach(async () => {
  runs++
  list = runs * 10
  server = await start()
})

afterEach(async () => {
  // Pages first: a page whose server went away first would log its failed reconnections.
  for (const page of opened.splice(0)) await page.close()
  await server?.close()
  expect(unexpected.splice(0)).toEqual([])
})

const pages = usePages()

/**
 * Opens list `list` (+1 with `other`) and waits until it is connected and subscribed. A page that
 * loses its server (`offline`) logs its failed connection attempts: those console errors are
 * expected, any other is not.
 */
async function open(label: string, { other = false, offline = false } = {}): Promise<Page> {
  const page = await pages.open(`${server.url}?list=${list + (other ? 1 : 0)}`, label, { width: 700, height: 500 }, { expectErrors: offline })
  if (offline) watchErrors(page, label, OFFLINE_ERRORS, unexpected)
  opened.push(page)
  await page.locator('#connection[data-state="connected"]').waitFor({ timeout: 10_000 })
  await page.locator('#todos[data-recovered]').waitFor({ state: 'attached', timeout: 10_000 })
  return page
}

const item = (page: Page, title: string) => page.locator('#todos li', { has: page.locator(`input.title[value="${title}"]`) })
const titles = (page: Page) => page.$$eval('#todos li input.title', (inputs) => inputs.map((input) => (input as HTMLInputElement).value))
const doneTitles = (page: Page) => page.$$eval('#todos li.done input.title', (inputs) => inputs.map((input) => (input as HTMLInputElement).value))

async function add(page: Page, title: string): Promise<void> {
  await page.fill('#new-title', title)
  await page.press('#new-title', 'Enter')
  await item(page, title).waitFor({ timeout: 10_000 })
}

it('keeps two pages in sync through the database: add, toggle, rename, delete', async () => {
  const alice = await open('alice')
  const bob = await open('bob')
  await expect(alice.locator('#connection').textContent()).resolves.toBe('connected')
  await add(alice, 'milk')
  await item(bob, 'milk').waitFor()
  await add(bob, 'bread')
  await item(alice, 'bread').waitFor()
  // The form is cleared once the server added the to-do.
  expect(await bob.inputValue('#new-title')).toBe('')

  await item(bob, 'milk').locator('input.toggle').check()
  await alice.locator('#todos li.done', { has: alice.locator('input.title[value="milk"]') }).waitFor()

  await item(alice, 'bread').locator('input.title').fill('rye bread')
  await item(alice, 'bread').locator('input.title').press('Enter')
  await item(bob, 'rye bread').waitFor()

  await item(bob, 'milk').locator('button.delete').click()
  await item(alice, 'milk').waitFor({ state: 'detached' })
  expect(await titles(alice)).toEqual(['rye bread'])
  expect(await titles(bob)).toEqual(['rye bread'])

  // Another list does not see these.
  const carol = await open('carol', { other: true })
  expect(await titles(carol)).toEqual([])
})

it('catches a page that was offline up on what changed meanwhile, by replay', async () => {
  const alice = await open('alice')
  const bob = await open('bob', { offline: true })
  await add(alice, 'one')
  await add(alice, 'two')
  await item(bob, 'two').waitFor()

  await bob.context().setOffline(true)
  await bob.locator('#connection[data-state="reconnecting"]').waitFor({ timeout: 15_000 })
  await add(alice, 'three')
  await item(alice, 'one').locator('input.toggle').check()
  await item(alice, 'two').locator('button.delete').click()
  await item(alice, 'two').waitFor({ state: 'detached' })
  await add(alice, 'four')
  expect(await item(bob, 'three').count()).toBe(0)

  await bob.context().setOffline(false)
  await item(bob, 'four').waitFor({ timeout: 15_000 })
  await item(bob, 'two').waitFor({ state: 'detached' })
  expect(await titles(bob)).toEqual(['one', 'three', 'four'])
  expect(await doneTitles(bob)).toEqual(['one'])
  // It loaded the list once, at the start: the rest came as changes.
  expect(await bob.locator('#todos').getAttribute('data-loads')).toBe('1')
})

it('shows a refused add with its code, keeps the title, and leaves other pages working', async () => {
  await server.close()
  server = await start({ maxTodos: 2 })
  const alice = await open('alice')
  const bob = await open('bob', { other: true })
  await add(alice, 'a')
  await add(alice, 'b')
  await alice.fill('#new-title', 'one too many')
  await alice.press('#new-title', 'Enter')
  await alice.locator('#error[data-code="LIMIT_EXCEEDED"]', { hasText: 'LIMIT_EXCEEDED: A list holds at most 2 to-dos' }).waitFor({ timeout: 10_000 })
  expect(await alice.inputValue('#new-title')).toBe('one too many')
  expect(await titles(alice)).toEqual(['a', 'b'])
  // Bob's list has room: his page is not bothered.
  await add(bob, 'elsewhere')
  expect(await bob.locator('#error').textContent()).toBe('')
  // Once there is room again, the same title goes in and the message goes.
  await item(alice, 'a').locator('button.delete').click()
  await item(alice, 'a').waitFor({ state: 'detached' })
  await alice.press('#new-title', 'Enter')
  await item(alice, 'one too many').waitFor({ timeout: 10_000 })
  expect(await alice.locator('#error').textContent()).toBe('')
})

it('stays on the page through a server restart, reconnects, and shows the list with what changed meanwhile', async () => {
  const alice = await open('alice', { offline: true })
  const bob = await open('bob', { offline: true })
  // Marks the page: still there after the restart means it was not reloaded.
  await alice.evaluate(() => Object.assign(window, { unreloaded: true }))
  await add(alice, 'before')
  await item(bob, 'before').waitFor()

  const { port } = server
  await server.close()
  for (const page of [alice, bob]) {
    await waitReconnecting(page)
  }
  // Someone else writes the table while the server is down.
  await database.db.query('INSERT INTO todos (list_id, title) VALUES ($1, $2)', [list, 'while down'])
  expect(await titles(bob)).toEqual(['before'])

  // The same port and slot: both pages come back by themselves and show what the database has.
  server = await start({ port })
  for (const page of [alice, bob]) {
    await page.locator('#connection[data-state="connected"]').waitFor({ timeout: 20_000 })
    await item(page, 'while down').waitFor({ timeout: 15_000 })
  }
  await add(bob, 'after')
  await item(alice, 'after').waitFor({ timeout: 10_000 })
  expect(await titles(alice)).toEqual(['before', 'while down', 'after'])
  expect(await titles(bob)).toEqual(['before', 'while down', 'after'])
  expect(await alice.evaluate(() => (window as { unreloaded?: boolean }).unreloaded)).toBe(true)
  for (const page of [alice, bob]) expect(await page.locator('#error').textContent()).toBe('')
}, 60_000)

it('serves only the built page, whose bundle has the browser WebSocket client', async () => {
  const js = await (await fetchPageScript(server.url)).text()
  expect(js).toContain('todo:list')
  expect(js).not.toContain('ws does not work in the browser')
  // Only the built files are served: no path leads elsewhere, and no malformed one breaks the server.
  await expectOnlyBuiltFiles(server.port)
})
