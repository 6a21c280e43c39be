import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitReconnecting } from '@org/example-kit/page-tests'
import type { Page } from 'playwright-core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { runScript, type ChildScript } from '../../../test/child-process.js'
import { messageTexts, notice, say, useChatPages } from './chat-pages.js'

const chat = useChatPages()
let dir: string
const children: ChildProcess[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chat-restart-test-'))
})

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

/** A chat server in a child process (to be killed), on `port` (0: any), with `historyFile`. */
async function chatProcess(port: number, historyFile: string): Promise<{ script: ChildScript; port: number; url: string }> {
  const script = await runScript(fileURLToPath(new URL('./fixtures/chat-process.ts', import.meta.url)), [String(port), historyFile, chat.webDir()])
  children.push(script.process)
  const listening = Number(/listening (\d+)/.exec(await script.line(/^listening \d+$/, 30_000))?.[1])
  return { script, port: listening, url: `http://127.0.0.1:${listening}/` }
}

/**
 * Opens the chat at `url` as `name`, like `chat.enter`, for a test where the server is down for a
 * while: Chromium then logs each refused WebSocket as a console error, which is expected here;
 * any other console error or uncaught exception is collected in `problems`.
 */
async function enterExpectingRefusedSockets(name: string, url: string, problems: string[]): Promise<Page> {
  const page = await chat.open(url, name, { width: 900, height: 560 }, { expectErrors: true })
  page.on('pageerror', (error) => problems.push(`${name}: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' && !/^WebSocket connection to .* failed/.test(message.text())) problems.push(`${name}: ${message.text()}`)
  })
  await page.fill('#name', name)
  await page.press('#name', 'Enter')
  await page.locator('#text:enabled').waitFor()
  return page
}

it('survives the server killed mid-conversation and restarted on the same port: every message shows once on both pages', async () => {
  const historyFile = join(dir, 'history.json')
  const first = await chatProcess(0, historyFile)
  const problems: string[] = []
  const alice = await enterExpectingRefusedSockets('alice', first.url, problems)
  const bob = await enterExpectingRefusedSockets('bob', first.url, problems)
  const both = [alice, bob]
  await say(alice, 'one from alice', both)
  await say(bob, 'one from bob', both)
  await say(alice, 'two from alice', both)

  first.script.process.kill('SIGKILL') // no close, no flush: a crash
  await first.script.exited
  for (const page of both) await waitReconnecting(page, 'status')
  await expect(alice.locator('#text').isDisabled()).resolves.toBe(true)

  await chatProcess(first.port, historyFile)
  for (const page of both) {
    await page.locator('#status[data-state="connected"]').waitFor({ timeout: 20_000 })
    await notice(page, 'reconnected').waitFor({ timeout: 10_000 })
    await page.locator('#text:enabled').waitFor()
  }
  await say(bob, 'two from bob', both)
  await say(alice, 'three from alice', both)
  const said = ['one from alice', 'one from bob', 'two from alice', 'two from bob', 'three from alice']
  for (const page of both) await expect(messageTexts(page)).resolves.toEqual(said)
  // A page opened now gets the same from the restarted server's history.
  const carol = await chat.enter('carol', first.url)
  await carol.locator('#messages li', { hasText: 'three from alice' }).waitFor()
  await expect(messageTexts(carol)).resolves.toEqual(said)
  expect(problems).toEqual([])
}, 90_000)

it('reconnects after a polite server restart and shows the conversation kept', async () => {
  const historyFile = join(dir, 'history.json')
  let server = await chat.start({ historyFile })
  const alice = await chat.enter('alice')
  await say(alice, 'said before the restart', [alice])
  const port = server.port
  await server.close()
  chat.closed()
  await waitReconnecting(alice, 'status', 5000)
  await expect(alice.locator('#text').isDisabled()).resolves.toBe(true)

  server = await chat.start({ port, historyFile })
  await alice.locator('#status[data-state="connected"]').waitFor({ timeout: 15_000 })
  await notice(alice, 'reconnected').waitFor()
  await expect(messageTexts(alice)).resolves.toEqual(['said before the restart'])
  const bob = await chat.enter('bob')
  await bob.locator('#messages li', { hasText: 'said before the restart' }).waitFor()
  await say(bob, 'welcome back', [alice])
})

it('resumes after a network blip: still in the room, shows what was said meanwhile once, nobody saw it leave', async () => {
  const server = await chat.start()
  const alice = await chat.enter('alice')
  const bob = await chat.enter('bob')
  await notice(alice, 'bob joined').waitFor()
  const aliceConnection = [...server.rt.connections.values()].find((conn) => conn.data.name === 'alice')
  aliceConnection?.terminate()
  await alice.locator('#status[data-state="reconnecting"]').waitFor()
  await say(bob, 'said while alice was away', [bob])

  await alice.locator('#status[data-state="connected"]').waitFor({ timeout: 10_000 })
  await notice(alice, 'reconnected').waitFor()
  await alice.locator('#messages li', { hasText: 'said while alice was away' }).waitFor()
  await expect(alice.locator('#messages li', { hasText: 'said while alice was away' }).count()).resolves.toBe(1)
  await notice(bob, 'alice is back').waitFor()
  await expect(notice(bob, 'alice is away').count()).resolves.toBe(1)
  await expect(notice(bob, 'alice left').count()).resolves.toBe(0)
  await expect(bob.locator('#members').textContent()).resolves.toBe('Here: alice, bob')
})
