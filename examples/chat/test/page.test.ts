import type { Page } from 'playwright-core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { startChatServer, type ChatServer } from '../src/chat-server.js'
import { usePages } from '../../../test/browser.js'

const pages = usePages()
let server: ChatServer

beforeEach(async () => {
  server = await startChatServer({ port: 0, host: '127.0.0.1' })
})

afterEach(async () => {
  await server?.close()
})

/** Opens the chat as `name` and waits until it has joined #general. */
async function enter(name: string): Promise<Page> {
  const page = await pages.open(server.url, name, { width: 900, height: 560 })
  await page.fill('#name', name)
  await page.press('#name', 'Enter')
  await page.locator('#status[data-state="connected"]').waitFor()
  await page.locator('#text:enabled').waitFor()
  return page
}

it('serves a bundle without the ws package', async () => {
  const js = await (await fetch(new URL('/app.js', server.url))).text()
  expect(js).toContain('WebSocket')
  expect(js).not.toContain('ws does not work in the browser')
})

it('shows a message typed on one page on the other, with the typing indicator', async () => {
  const alice = await enter('alice')
  const bob = await enter('bob')
  await alice.locator('#messages .notice', { hasText: 'bob joined' }).waitFor()
  await expect(alice.locator('#members').textContent()).resolves.toBe('Here: alice, bob')

  await alice.locator('#text').pressSequentially('hello bob')
  await bob.locator('#typing', { hasText: 'alice is typing…' }).waitFor()
  await expect(alice.locator('#typing').textContent()).resolves.toBe('')

  await alice.press('#text', 'Enter')
  const received = bob.locator('#messages li', { hasText: 'hello bob' })
  await received.waitFor()
  await expect(received.locator('.name').textContent()).resolves.toBe('alice')
  await alice.locator('#messages li.own', { hasText: 'hello bob' }).waitFor()
  await bob.locator('#typing:empty').waitFor() // a message ends the typing indicator
  await expect(alice.inputValue('#text')).resolves.toBe('')

  const markup = '<img src=x onerror="document.title=1">'
  await bob.fill('#text', markup)
  await bob.press('#text', 'Enter')
  await alice.locator('#messages li', { hasText: markup }).waitFor()
  await expect(alice.locator('#messages img').count()).resolves.toBe(0)

  await alice.screenshot({ path: '/tmp/chat.png' })
})

it('shows the history on join and switches rooms', async () => {
  const alice = await enter('alice')
  await alice.fill('#text', 'before bob came')
  await alice.press('#text', 'Enter')
  await alice.locator('#messages li', { hasText: 'before bob came' }).waitFor()

  const bob = await enter('bob')
  await bob.locator('#messages li', { hasText: 'before bob came' }).waitFor()

  await bob.click('button[data-room="random"]')
  await bob.locator('#room-title', { hasText: '#random' }).waitFor()
  await alice.locator('#messages .notice', { hasText: 'bob left' }).waitFor()
  await expect(bob.locator('#messages li').count()).resolves.toBe(0)
})

it('reconnects after a server restart, re-joins the room and says so', async () => {
  const alice = await enter('alice')
  const port = server.port
  await server.close()
  await alice.locator('#status[data-state="reconnecting"]', { hasText: /^reconnecting \(attempt \d+/ }).waitFor()
  await expect(alice.locator('#text').isDisabled()).resolves.toBe(true)

  server = await startChatServer({ port, host: '127.0.0.1' })
  await alice.locator('#status[data-state="connected"]').waitFor({ timeout: 10_000 })
  await alice.locator('#messages .notice', { hasText: 'reconnected' }).waitFor()
  const bob = await enter('bob')
  await bob.fill('#text', 'welcome back')
  await bob.press('#text', 'Enter')
  await alice.locator('#messages li', { hasText: 'welcome back' }).waitFor()
})

it('resumes after a network blip: still in the room, shows what was said meanwhile once, nobody saw it leave', async () => {
  const alice = await enter('alice')
  const bob = await enter('bob')
  await alice.locator('#messages .notice', { hasText: 'bob joined' }).waitFor()
  const aliceConnection = [...server.rt.connections.values()].find((conn) => conn.data.name === 'alice')
  aliceConnection?.terminate()
  await alice.locator('#status[data-state="reconnecting"]').waitFor()
  await bob.fill('#text', 'said while alice was away')
  await bob.press('#text', 'Enter')
  await bob.locator('#messages li.own', { hasText: 'said while alice was away' }).waitFor()

  await alice.locator('#status[data-state="connected"]').waitFor({ timeout: 10_000 })
  await alice.locator('#messages .notice', { hasText: 'reconnected' }).waitFor()
  await alice.locator('#messages li', { hasText: 'said while alice was away' }).waitFor()
  await expect(alice.locator('#messages li', { hasText: 'said while alice was away' }).count()).resolves.toBe(1)
  await expect(bob.locator('#messages .notice', { hasText: 'alice left' }).count()).resolves.toBe(0)
})
