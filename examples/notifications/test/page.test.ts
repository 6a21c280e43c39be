import type { Page } from 'playwright-core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { startNotificationsServer, type NotificationsServer } from '../src/notifications-server.js'
import { until } from '../../../test/support.js'
import { usePages } from '../../../test/browser.js'

const pages = usePages()
let server: NotificationsServer

beforeEach(async () => {
  server = await startNotificationsServer({ port: 0, host: '127.0.0.1', tickerMs: 0 })
})

afterEach(async () => {
  await server?.close()
})

/** Opens the feed of `user` and waits until it is subscribed. */
async function openFeed(user: string): Promise<Page> {
  const page = await pages.open(server.url, user, { width: 900, height: 420 })
  await page.fill('#name', user)
  await page.press('#name', 'Enter')
  await page.locator('#status[data-state="live"]').waitFor()
  return page
}

async function send(page: Page, to: string, text: string, result = `Sent to ${to} (1 open page)`): Promise<void> {
  await page.fill('#to', to)
  await page.fill('#text', text)
  await page.press('#text', 'Enter')
  await page.locator('#send-result', { hasText: result }).waitFor()
}

it('shows a notification sent from one page on the recipient’s page only, newest first, as text', async () => {
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
  const alice = await openFeed('alice')
  await send(alice, 'carol', 'Anyone there?', 'Not delivered: carol has no page open, and notifications are not stored')
  await expect(alice.locator('#send-result.error').count()).resolves.toBe(1)

  await openFeed('carol')
  const secondTab = await openFeed('carol')
  await send(alice, 'carol', 'Now you are', 'Sent to carol (2 open pages)')
  await secondTab.locator('#feed li', { hasText: 'Now you are' }).waitFor()
  await expect(secondTab.locator('#feed li', { hasText: 'Anyone there?' }).count()).resolves.toBe(0)
})

it('shows the server’s refusal of a user name on the login form', async () => {
  const page = await pages.open(server.url, 'refused', { width: 900, height: 420 }, { expectErrors: true })
  // 33 characters: maxlength stops typing at 32, not a value set by script, so the server decides.
  await page.evaluate(() => {
    ;(document.getElementById('name') as HTMLInputElement).value = 'x'.repeat(33)
    ;(document.getElementById('login') as HTMLFormElement).requestSubmit()
  })
  await page.locator('#login-error', { hasText: 'user must be 1–32 characters' }).waitFor()
  await expect(page.locator('#app').isHidden()).resolves.toBe(true)
})

it('reconnects after a server restart and keeps receiving, with no code of its own', async () => {
  const alice = await openFeed('alice')
  const port = server.port
  await server.close()
  await alice.locator('#status[data-state="reconnecting"]').waitFor()

  server = await startNotificationsServer({ port, host: '127.0.0.1', tickerMs: 0 })
  await alice.locator('#status[data-state="live"]').waitFor({ timeout: 10_000 })
  // The badge turns live on `connect`; the client's own resubscription is confirmed a moment later.
  await until(() => [...server.rt.connections.values()].some((conn) => conn.rooms.has('notifications:alice')), 5000, 'the resubscription')
  await fetch(new URL('/notify', server.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'alice', text: 'after the restart' }) })
  await alice.locator('#feed li', { hasText: 'after the restart' }).waitFor()
})
