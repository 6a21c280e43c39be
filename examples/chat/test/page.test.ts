import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { startChatServer, type ChatServer } from '../src/chat-server.js'
import { until } from '../../../test/support.js'
import { usePages } from '../../../test/browser.js'

const pages = usePages()
let server: ChatServer
let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chat-page-test-'))
  server = await startChatServer({ port: 0, host: '127.0.0.1' })
})

afterEach(async () => {
  await server?.close()
  await rm(dir, { recursive: true, force: true })
})

const notice = (page: Page, text: string) => page.locator('#messages .notice', { hasText: text })

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

it('reconnects after a server restart, re-joins the room and says so, with the conversation kept', async () => {
  const historyFile = join(dir, 'history.json')
  await server.close()
  server = await startChatServer({ port: 0, host: '127.0.0.1', historyFile })
  const alice = await enter('alice')
  await alice.fill('#text', 'said before the restart')
  await alice.press('#text', 'Enter')
  await alice.locator('#messages li.own', { hasText: 'said before the restart' }).waitFor()
  const port = server.port
  await server.close()
  await alice.locator('#status[data-state="reconnecting"]', { hasText: /^reconnecting \(attempt \d+/ }).waitFor()
  await expect(alice.locator('#text').isDisabled()).resolves.toBe(true)

  server = await startChatServer({ port, host: '127.0.0.1', historyFile })
  await alice.locator('#status[data-state="connected"]').waitFor({ timeout: 10_000 })
  await notice(alice, 'reconnected').waitFor()
  // The re-join cleared the list and refilled it from the restarted server's history.
  await alice.locator('#messages li', { hasText: 'said before the restart' }).waitFor()
  const bob = await enter('bob')
  await bob.locator('#messages li', { hasText: 'said before the restart' }).waitFor()
  await bob.fill('#text', 'welcome back')
  await bob.press('#text', 'Enter')
  await alice.locator('#messages li', { hasText: 'welcome back' }).waitFor()
})

it('resumes after a network blip: still in the room, shows what was said meanwhile once, nobody saw it leave', async () => {
  const alice = await enter('alice')
  const bob = await enter('bob')
  await notice(alice, 'bob joined').waitFor()
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
  await notice(bob, 'alice is back').waitFor()
  await expect(notice(bob, 'alice is away').count()).resolves.toBe(1)
  await expect(notice(bob, 'alice left').count()).resolves.toBe(0)
  await expect(bob.locator('#members').textContent()).resolves.toBe('Here: alice, bob')
})

it('wraps a long word instead of widening the page, live and in the history', async () => {
  const word = 'w'.repeat(300)
  const alice = await enter('alice')
  await alice.fill('#text', word)
  await alice.press('#text', 'Enter')
  await alice.locator('#messages li.own', { hasText: word }).waitFor()
  const bob = await enter('bob') // gets it in the join's history
  await bob.locator('#messages li', { hasText: word }).waitFor()

  for (const page of [alice, bob]) {
    const layout = await page.evaluate((text) => {
      const messages = document.getElementById('messages') as HTMLElement
      const span = [...messages.querySelectorAll('li span')].find((node) => node.textContent === text) as HTMLElement
      return {
        pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
        listOverflow: messages.scrollWidth - messages.clientWidth,
        sendRight: (document.querySelector('#composer button') as HTMLElement).getBoundingClientRect().right,
        width: window.innerWidth,
        lines: Math.round(span.getBoundingClientRect().height / parseFloat(getComputedStyle(span).lineHeight)),
      }
    }, word)
    expect(layout.pageOverflow).toBeLessThanOrEqual(0)
    expect(layout.listOverflow).toBeLessThanOrEqual(0)
    expect(layout.sendRight).toBeLessThanOrEqual(layout.width)
    expect(layout.lines).toBeGreaterThan(1)
  }
})

it('shows a name open in two tabs once, and says it left only when its last tab closes', async () => {
  const bob = await enter('bob')
  const firstTab = await enter('alice')
  await notice(bob, 'alice joined').waitFor()
  const secondTab = await enter('alice')
  await expect(secondTab.locator('#members').textContent()).resolves.toBe('Here: alice, bob')

  await firstTab.close()
  await until(() => server.rt.connections.size === 2, 5000, 'the first tab’s session to end')
  // Said after the first tab's session ended: it arrives after any notice that ending caused.
  await secondTab.fill('#text', 'still here')
  await secondTab.press('#text', 'Enter')
  await bob.locator('#messages li', { hasText: 'still here' }).waitFor()
  await expect(notice(bob, 'alice left').count()).resolves.toBe(0)
  await expect(notice(bob, 'alice joined').count()).resolves.toBe(1)
  await expect(bob.locator('#members').textContent()).resolves.toBe('Here: alice, bob')

  await secondTab.close()
  await notice(bob, 'alice left').waitFor()
  await expect(bob.locator('#members').textContent()).resolves.toBe('Here: bob')
})

it('shows a member away within the heartbeat timeout when its page stops answering, and back when it answers again', async () => {
  const heartbeat = { pingIntervalMs: 200, pingTimeoutMs: 300 }
  await server.close()
  server = await startChatServer({ port: 0, host: '127.0.0.1', heartbeat })
  const bob = await enter('bob')
  const alice = await enter('alice')
  await notice(bob, 'alice joined').waitFor()

  // Pausing alice's script stops her heartbeat answers while her socket stays open: a silent drop.
  const debuggerSession = await alice.context().newCDPSession(alice)
  await debuggerSession.send('Debugger.enable')
  await debuggerSession.send('Debugger.pause')
  const pausedAt = Date.now()
  await notice(bob, 'alice is away').waitFor()
  // Noticed at most a ping interval and a ping timeout after the pause, plus the server's tick.
  expect(Date.now() - pausedAt).toBeLessThan(heartbeat.pingIntervalMs + heartbeat.pingTimeoutMs + 1000)
  await expect(bob.locator('#members').textContent()).resolves.toBe('Here: alice (away), bob')
  await expect(notice(bob, 'alice left').count()).resolves.toBe(0)

  await debuggerSession.send('Debugger.resume')
  await notice(bob, 'alice is back').waitFor({ timeout: 10_000 })
  await expect(bob.locator('#members').textContent()).resolves.toBe('Here: alice, bob')
  await alice.locator('#status[data-state="connected"]').waitFor()
  await debuggerSession.detach()
})

it('starts the typing indicator again for what is typed right after sending', async () => {
  const alice = await enter('alice')
  const bob = await enter('bob')
  await alice.locator('#text').pressSequentially('first')
  await bob.locator('#typing', { hasText: 'alice is typing…' }).waitFor()
  await alice.press('#text', 'Enter')
  await bob.locator('#messages li', { hasText: 'first' }).waitFor()
  await bob.locator('#typing:empty').waitFor()

  // Typed within a second of the last typing signal, which the page used to skip as too soon.
  await alice.locator('#text').pressSequentially('second')
  await bob.locator('#typing', { hasText: 'alice is typing…' }).waitFor()
})
