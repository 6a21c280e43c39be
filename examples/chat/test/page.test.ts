import { fetchPageScript, setInputValue } from '@org/example-kit/page-tests'
import { rawStatus } from '@org/example-kit/raw-request'
import { expect, it } from 'vitest'
import { messageTexts, notice, say, useChatPages } from './chat-pages.js'

const chat = useChatPages()

it('serves the React page built for the browser: the platform WebSocket, not the ws package', async () => {
  const server = await chat.start()
  const response = await fetchPageScript(server.url)
  expect(response.headers.get('cache-control')).toContain('immutable')
  const js = await response.text()
  expect(js).toContain('WebSocket')
  expect(js).not.toContain('ws does not work in the browser')
  expect((await fetch(new URL('/../../package.json', server.url))).status).toBe(404)
  // A malformed path is a 404, not a crash: the page is still served after it.
  for (const path of ['//[', 'http://[', '/%2e%2e/package.json']) expect(await rawStatus(server.port, `GET ${path} HTTP/1.1`), path).toBe(404)
  expect((await fetch(server.url)).status).toBe(200)
})


it('shows a message typed on one page on the other, with the typing indicator', async () => {
  const server = await chat.start()
  const alice = await chat.enter('alice')
  const bob = await chat.enter('bob')
  await notice(alice, 'bob joined').waitFor()
  await alice.locator('#members', { hasText: 'Here: alice, bob' }).waitFor()

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
  await say(bob, markup, [alice])
  await expect(alice.locator('#messages img').count()).resolves.toBe(0)

  await alice.screenshot({ path: '/tmp/chat.png' })
})

it('shows the history on join and switches rooms', async () => {
  const server = await chat.start()
  const alice = await chat.enter('alice')
  await say(alice, 'before bob came', [alice])

  const bob = await chat.enter('bob')
  await bob.locator('#messages li', { hasText: 'before bob came' }).waitFor()

  await bob.click('button[data-room="random"]')
  await bob.locator('#room-title', { hasText: '#random' }).waitFor()
  await bob.locator('#text:enabled').waitFor()
  // The old room is left once the hooks' release delay (1 s) has passed.
  await notice(alice, 'bob left').waitFor()
  await expect(bob.locator('#messages li').count()).resolves.toBe(0)
})

it('shows refusals with their code: a room name, a message too long, too many messages, a name', async () => {
  const server = await chat.start()
  const alice = await chat.enter('alice')
  await alice.fill('#room-input', 'Not A Room!')
  await alice.press('#room-input', 'Enter')
  await alice.locator('#room-error', { hasText: '(FORBIDDEN)' }).waitFor()
  await expect(alice.locator('#text').isDisabled()).resolves.toBe(true)

  await alice.click('button[data-room="general"]')
  await alice.locator('#text:enabled').waitFor()
  // Past the input's maxlength, as a script could: the server decides.
  await setInputValue(alice, 'text', 'x'.repeat(2001))
  await alice.press('#text', 'Enter')
  await alice.locator('#composer-error', { hasText: 'Not sent (BAD_INPUT): text must be 1–2000 characters' }).waitFor()

  // Fifteen sends at once: the server lets ten or so through, then refuses with RATE_LIMITED.
  await alice.fill('#text', 'again and again')
  await alice.evaluate(() => {
    const form = document.getElementById('composer') as HTMLFormElement
    for (let i = 0; i < 15; i++) form.requestSubmit()
  })
  await alice.locator('#composer-error', { hasText: 'Not sent (RATE_LIMITED)' }).waitFor()

  const refused = await chat.open(server.url, 'refused', { width: 900, height: 560 }, { expectErrors: true })
  await setInputValue(refused, 'name', 'x'.repeat(33))
  await refused.press('#name', 'Enter')
  await refused.locator('#login-error', { hasText: 'UNAUTHORIZED: name must be 1–32 characters' }).waitFor()
})

it('wraps a long word instead of widening the page, live and in the history', async () => {
  const server = await chat.start()
  const word = 'w'.repeat(300)
  const alice = await chat.enter('alice')
  await say(alice, word, [alice])
  const bob = await chat.enter('bob') // gets it in the room's history
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

it('starts the typing indicator again for what is typed right after sending', async () => {
  const server = await chat.start()
  const alice = await chat.enter('alice')
  const bob = await chat.enter('bob')
  await alice.locator('#text').pressSequentially('first')
  await bob.locator('#typing', { hasText: 'alice is typing…' }).waitFor()
  await alice.press('#text', 'Enter')
  await bob.locator('#messages li', { hasText: 'first' }).waitFor()
  await bob.locator('#typing:empty').waitFor()

  // Typed within a second of the last typing signal, which the page used to skip as too soon.
  await alice.locator('#text').pressSequentially('second')
  await bob.locator('#typing', { hasText: 'alice is typing…' }).waitFor()
})
