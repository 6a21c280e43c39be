import { expect, it } from 'vitest'
import { until } from '../../../test/support.js'
import { notice, say, useChatPages } from './chat-pages.js'

const chat = useChatPages()

it('shows a name open in two tabs once, and says it left only when its last tab closes', async () => {
  const server = await chat.start()
  const bob = await chat.enter('bob')
  const firstTab = await chat.enter('alice')
  await notice(bob, 'alice joined').waitFor()
  const secondTab = await chat.enter('alice')
  await secondTab.locator('#members', { hasText: 'Here: alice, bob' }).waitFor()

  await firstTab.close()
  await until(() => server.rt.connections.size === 2, 5000, 'the first tab’s session to end')
  // Said after the first tab's session ended: it arrives after any notice that ending caused.
  await say(secondTab, 'still here', [bob])
  await expect(notice(bob, 'alice left').count()).resolves.toBe(0)
  await expect(notice(bob, 'alice joined').count()).resolves.toBe(1)
  await expect(bob.locator('#members').textContent()).resolves.toBe('Here: alice, bob')

  await secondTab.close()
  await notice(bob, 'alice left').waitFor()
  await expect(bob.locator('#members').textContent()).resolves.toBe('Here: bob')
})

it('shows a member away within the heartbeat timeout when its page stops answering, and back when it answers again', async () => {
  const heartbeat = { pingIntervalMs: 200, pingTimeoutMs: 300 }
  const server = await chat.start({ heartbeat })
  const bob = await chat.enter('bob')
  const alice = await chat.enter('alice')
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
