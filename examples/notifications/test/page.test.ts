import { enterName, fetchPageScript, setInputValue, useWebBuild, waitReconnecting, watchErrors } from '@org/example-kit/page-tests'
import type { Page } from 'playwright-core'
import { afterEach, expect, it } from 'vitest'
import { startNotificationsServer, type NotificationsServer, type NotificationsServerOptions } from '../src/notifications-server.js'
import { until } from '../../../test/support.js'
import { usePages } from '../../../test/browser.js'

const pages = usePages()
// The page is built once for the file; every server here serves that build.
const webDir = useWebBuild(new URL('..', import.meta.url))
let server: NotificationsServer | undefined

afterEach(async () => {
  await server?.close()
  server = undefined
})

async function start(options: NotificationsServerOptions = {}): Promise<NotificationsServer> {
  server = await startNotificationsServer({ port: 0, host: '127.0.0.1', tickerMs: 0, webDir: webDir(), buildWeb: false, ...options })
  return server
}

/**
 * Opens the feed of `user` and waits until it is subscribed. With `expected`, console errors that
 * match it are let through (Chromium logs every HTTP error answer as one) and any other console
 * error or uncaught exception goes to `problems`.
 */
async function openFeed(user: string, expected?: { errors: RegExp; problems: string[] }): Promise<Page> {
  const page = await pages.open(server!.url, user, { width: 900, height: 420 }, { expectErrors: expected !== undefined })
  if (expected !== undefined) watchErrors(page, user, expected.errors, expected.problems)
  await enterName(page, user)
  await page.locator('#feed[data-state="subscribed"]').waitFor()
  return page
}

async function send(page: Page, to: string, text: string, result = `Sent to ${to} (1 open page)`): Promise<void> {
  await page.fill('#to', to)
  await page.fill('#text', text)
  await page.press('#text', 'Enter')
  await page.locator('#send-result', { hasText: result }).waitFor()
}

it('serves the React page built for the browser, with the SSE client on EventSource', async () => {
  await start()
  const js = await (await fetchPageScript(server!.url)).text()
  expect(js).toContain('EventSource')
  expect(js).not.toContain('node:http')
})

it('shows a notification sent from one page on the recipient’s page only, newest first, as text', async () => {
  await start()
  const alice = await openFeed('alice')
  const bob = await openFeed('bob')
  await expect(bob.locator('#me').textContent()).resolves.toBe('bob')

  await send(alice, 'bob', 'Your build passed')
  await bob.locator('#feed li', { hasText: 'Your build passed' }).waitFor()
  const markup = '<img src=x onerror="document.title=1">'
  await send(alice, 'bob', markup)
  await bob.locator('#feed li', { hasText: markup }).waitFor()
  await expect(bob.locator('#feed .text').allTextContents()).resolves.toEqual([markup, 'Your build passed'])
  await expect(bob.locator('#feed img').count()).resolves.toBe(0)

  // alice's own notification comes after anything misdelivered to her would have.
  await send(bob, 'alice', 'Thanks!')
  await alice.locator('#feed li', { hasText: 'Thanks!' }).waitFor()
  await expect(alice.locator('#feed .text').allTextContents()).resolves.toEqual(['Thanks!'])
  await expect(alice.locator('#text').inputValue()).resolves.toBe('')

  await bob.screenshot({ path: '/tmp/notifications.png' })
})

it('says a notification to a user with no page open reached nobody, and counts the pages of one who has', async () => {
  await start()
  const alice = await openFeed('alice')
  await send(alice, 'carol', 'Anyone there?', 'Not delivered: carol has no page open, and notifications are not stored')
  await expect(alice.locator('#send-result.error').count()).resolves.toBe(1)

  await openFeed('carol')
  const secondTab = await openFeed('carol')
  await send(alice, 'carol', 'Now you are', 'Sent to carol (2 open pages)')
  await secondTab.locator('#feed li', { hasText: 'Now you are' }).waitFor()
  await expect(secondTab.locator('#feed li', { hasText: 'Anyone there?' }).count()).resolves.toBe(0)
})

it('shows refusals with their code: a user name, a text too long, too many notifications', async () => {
  await start()
  const refused = await pages.open(server!.url, 'refused', { width: 900, height: 420 }, { expectErrors: true })
  // 33 characters, as a script could set them past the input's maxlength: the server decides.
  await setInputValue(refused, 'name', 'x'.repeat(33))
  await refused.press('#name', 'Enter')
  await refused.locator('#login-error', { hasText: 'UNAUTHORIZED: user must be 1–32 characters' }).waitFor()

  const problems: string[] = []
  const alice = await openFeed('alice', { errors: /^Failed to load resource: the server responded with a status of (400|429)/, problems })
  await alice.fill('#to', 'alice')
  await setInputValue(alice, 'text', 'x'.repeat(501))
  await alice.press('#text', 'Enter')
  await alice.locator('#send-result[data-code="BAD_INPUT"]', { hasText: 'Not sent: text must be 1–500 characters' }).waitFor()

  // Five at once are let through, then the server answers 429 until a token comes back.
  await alice.fill('#text', 'again')
  await alice.evaluate(() => {
    const form = document.getElementById('send') as HTMLFormElement
    for (let i = 0; i < 8; i++) form.requestSubmit()
  })
  await alice.locator('#send-result[data-code="RATE_LIMITED"]', { hasText: 'Too many notifications from this address' }).waitFor()
  expect(problems).toEqual([])
})

it('reconnects after a server restart, keeps what it showed, and receives again', async () => {
  await start()
  const alice = await openFeed('alice')
  await send(alice, 'alice', 'before the restart')
  await alice.locator('#feed li', { hasText: 'before the restart' }).waitFor()
  const port = server!.port
  await server!.close()
  server = undefined
  await waitReconnecting(alice, 'status', 5000)

  await start({ port })
  await alice.locator('#status[data-state="connected"]').waitFor({ timeout: 15_000 })
  await alice.locator('#feed[data-state="subscribed"]').waitFor({ timeout: 10_000 })
  await until(() => [...server!.rt.connections.values()].some((conn) => conn.rooms.has('notifications:alice')), 5000, 'the resubscription')
  await send(alice, 'alice', 'after the restart')
  await alice.locator('#feed li', { hasText: 'after the restart' }).waitFor()
  await expect(alice.locator('#feed .text').allTextContents()).resolves.toEqual(['after the restart', 'before the restart'])
})
