import { enterName, fetchPageScript, setInputValue, useWebBuild, waitReconnecting } from '@org/example-kit/page-tests'
import type { Page } from 'playwright-core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { usePages } from '../../../test/browser.js'
import { startPresenceServer, type PresenceServerOptions, type RunningPresenceServer } from '../src/presence-server.js'

const pages = usePages()
// The page is built once for the file; every server here serves that build.
const webDir = useWebBuild(new URL('..', import.meta.url))
let server: RunningPresenceServer

/** A server on a free port (or `options.port`) serving this file's build of the page. */
function start(options: PresenceServerOptions = {}): Promise<RunningPresenceServer> {
  // A page that vanishes without a word leaves after 5 s, not 2 minutes.
  return startPresenceServer({ port: 0, host: '127.0.0.1', timing: { recovery: { windowMs: 5000 } }, webDir: webDir(), buildWeb: false, ...options })
}

beforeEach(async () => {
  server = await start()
})

afterEach(async () => {
  await server?.close()
})

/** Opens the page as `name` and waits until it is online and sees itself. */
async function enter(name: string, label: string): Promise<Page> {
  const page = await pages.open(server.url, label, { width: 700, height: 600 })
  await enterName(page, name)
  await page.locator(`#people .person[data-key="${name.toLowerCase()}"]`).waitFor()
  return page
}

const person = (page: Page, key: string) => page.locator(`#people .person[data-key="${key}"]`)
const activity = (page: Page) => page.locator('#activity li').allTextContents()

/** Drops the transport of `user`'s connections (all, or the one `pick` chooses) as a dead network would. */
function drop(user: string, pick = (count: number) => count): void {
  const conns = [...server.rt.connections.values()].filter((conn) => conn.data.userId === user)
  for (const conn of conns.slice(0, pick(conns.length))) conn.terminate()
}

it('shows who is online with initials, away on a drop, two tabs as one person, and leaves', async () => {
  const alice1 = await enter('Alice Liddell', 'alice tab 1')
  const alice2 = await enter('Alice Liddell', 'alice tab 2')
  const bob = await enter('Bob', 'bob')
  const all = [alice1, alice2, bob]

  // Arriving: three pages, two people; Alice once, with two tabs.
  for (const page of all) {
    await page.locator('#count', { hasText: '2 people online' }).waitFor()
    await expect(page.locator('#people .person').count()).resolves.toBe(2)
    await person(page, 'alice liddell').locator('.detail', { hasText: '2 tabs' }).waitFor()
    await expect(person(page, 'alice liddell').locator('.avatar').textContent()).resolves.toBe('AL')
    await expect(person(page, 'bob').locator('.avatar').textContent()).resolves.toBe('BO')
  }
  await expect(person(bob, 'bob').locator('.name').textContent()).resolves.toBe('Bob (you)')
  await expect(person(bob, 'alice liddell').locator('.name').textContent()).resolves.toBe('Alice Liddell')

  // Dropping and resuming: Bob is away meanwhile, then back, and nobody saw him leave or arrive.
  drop('bob')
  // Watched on both pages at once: Bob's client comes back within a second or so.
  await Promise.all([alice1, alice2].map((page) => person(page, 'bob').and(page.locator('.away')).waitFor()))
  await person(alice1, 'bob').and(alice1.locator('.person:not(.away)')).waitFor({ timeout: 10_000 })
  await bob.locator('#status[data-state="connected"]').waitFor()
  // One of Alice's two tabs dropping does not make her away: the other is still here.
  drop('alice liddell', () => 1)
  await alice1.waitForTimeout(300)
  await expect(person(bob, 'alice liddell').getAttribute('class')).resolves.toBe('person')
  await person(bob, 'alice liddell').locator('.detail', { hasText: '2 tabs' }).waitFor({ timeout: 10_000 })
  for (const page of all) expect((await activity(page)).filter((line) => line.endsWith(' left'))).toEqual([])

  // Leaving: one tab of Alice leaves, she stays; the last one closes, she leaves.
  await alice1.click('#leave')
  await person(bob, 'alice liddell').locator('.detail:empty').waitFor({ state: 'attached' })
  expect((await activity(bob)).filter((line) => line.endsWith('Alice Liddell left'))).toEqual([])
  await alice2.close({ runBeforeUnload: true })
  await bob.locator('#count', { hasText: '1 person online' }).waitFor({ timeout: 10_000 })
  await expect(person(bob, 'alice liddell').count()).resolves.toBe(0)
  expect((await activity(bob)).filter((line) => line.endsWith('Alice Liddell left'))).toHaveLength(1)
  await bob.screenshot({ path: '/tmp/presence.png' })
}, 60_000)

it('serves the React page built for the browser: the platform WebSocket, not the ws package', async () => {
  const js = await (await fetchPageScript(server.url)).text()
  expect(js).toContain('presence:track')
  expect(js).not.toContain('ws does not work in the browser')
})

it('shows refusals with their code: a tab past the tabs a person may have, a name too long', async () => {
  await server.close()
  server = await start({ tabsPerPerson: 1 })
  const first = await enter('Ada', 'ada tab 1')
  const second = await pages.open(server.url, 'ada tab 2', { width: 700, height: 600 })
  await second.fill('#name', 'Ada')
  await second.press('#name', 'Enter')
  await second.locator('#presence-error', { hasText: 'LIMIT_EXCEEDED' }).waitFor({ timeout: 10_000 })
  // Refused a place, it still sees who is online; the first tab sees one tab.
  await person(second, 'ada').waitFor()
  await expect(person(first, 'ada').locator('.detail').textContent()).resolves.toBe('')

  const refused = await pages.open(server.url, 'refused', { width: 700, height: 600 }, { expectErrors: true })
  await setInputValue(refused, 'name', 'x'.repeat(41))
  await refused.press('#name', 'Enter')
  await refused.locator('#login-error', { hasText: 'UNAUTHORIZED: A name of 1 to 40 characters' }).waitFor()
})

it('shows everyone again after a server restart, without a reload', async () => {
  const alice = await enter('Alice', 'alice')
  const bob = await enter('Bob', 'bob')
  await alice.locator('#count', { hasText: '2 people online' }).waitFor()
  const port = server.port
  await server.close()
  for (const page of [alice, bob]) await waitReconnecting(page, 'status', 5000)

  server = await start({ port })
  for (const page of [alice, bob]) {
    await page.locator('#status[data-state="connected"]').waitFor({ timeout: 15_000 })
    await page.locator('#count', { hasText: '2 people online' }).waitFor({ timeout: 10_000 })
    await person(page, 'alice').and(page.locator('.person:not(.away)')).waitFor()
    await person(page, 'bob').and(page.locator('.person:not(.away)')).waitFor()
  }
})
