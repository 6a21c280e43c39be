import type { Page } from 'playwright-core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { usePages } from '../../../test/browser.js'
import { useTestDatabase } from '../../../packages/postgres/test/pg-support.js'
import { startTodoServer, type TodoServer } from '../src/todo-server.js'

const database = useTestDatabase('SELECT 1')
const pages = usePages()
let server: TodoServer
let runs = 0
/** Each test has lists of its own: the table is shared by the tests of this file. */
let list = 0
const opened: Page[] = []

beforeEach(async () => {
  runs++
  list = runs * 10
  server = await startTodoServer({ connectionString: database.url, port: 0, slot: `${database.name}_todo${runs}` })
})

afterEach(async () => {
  // Pages first: a page whose server went away first would log its failed reconnections.
  for (const page of opened.splice(0)) await page.close()
  await server?.close()
})

async function open(label: string, { other = false, offline = false } = {}): Promise<Page> {
  // A page that goes offline logs its failed connection attempts: expected.
  const page = await pages.open(`${server.url}?list=${list + (other ? 1 : 0)}`, label, { width: 700, height: 500 }, { expectErrors: offline })
  opened.push(page)
  await page.locator('#status[data-state="connected"]').waitFor()
  await page.locator('#todos[data-recovered]').waitFor({ state: 'attached' })
  return page
}

const item = (page: Page, title: string) => page.locator('#todos li', { has: page.locator(`input.title[value="${title}"]`) })
const titles = (page: Page) => page.$$eval('#todos li input.title', (inputs) => inputs.map((input) => (input as HTMLInputElement).value))
const doneTitles = (page: Page) => page.$$eval('#todos li.done input.title', (inputs) => inputs.map((input) => (input as HTMLInputElement).value))

async function add(page: Page, title: string): Promise<void> {
  await page.fill('#new-title', title)
  await page.press('#new-title', 'Enter')
  await item(page, title).waitFor()
}

it('keeps two pages in sync through the database: add, toggle, rename, delete', async () => {
  const alice = await open('alice')
  const bob = await open('bob')
  await add(alice, 'milk')
  await item(bob, 'milk').waitFor()
  await add(bob, 'bread')
  await item(alice, 'bread').waitFor()

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
  await bob.locator('#status[data-state="disconnected"]').waitFor({ timeout: 15_000 })
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
  expect(await bob.locator('#todos').getAttribute('data-refetches')).toBe('1')
})
