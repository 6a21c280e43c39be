import type { DisconnectEvent, ReconnectEvent, ReconnectingEvent } from '@org/realtime-client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { collect, connectedClient, createClient, describeTransports, once, startServer } from '../../../test/support.js'

/**
 * A stand-in for a browser's `window`: `globalThis.addEventListener` and `removeEventListener` on
 * an `EventTarget` the test dispatches `offline` and `online` on, with the event types listened to.
 */
function standInWindow(): { target: EventTarget; listeners: Set<string> } {
  const target = new EventTarget()
  const listeners = new Set<string>()
  Object.assign(globalThis, {
    addEventListener(type: string, listener: EventListener) {
      listeners.add(type)
      target.addEventListener(type, listener)
    },
    removeEventListener(type: string, listener: EventListener) {
      listeners.delete(type)
      target.removeEventListener(type, listener)
    },
  })
  return { target, listeners }
}

let window: ReturnType<typeof standInWindow>

beforeEach(() => {
  window = standInWindow()
})

afterEach(() => {
  delete (globalThis as { addEventListener?: unknown }).addEventListener
  delete (globalThis as { removeEventListener?: unknown }).removeEventListener
})

describeTransports('offline and online events', () => {
  it('drops the connection at once on offline and reconnects at once on online, resuming the session', async () => {
    const { url } = await startServer()
    // A backoff of a minute: only `online` can bring the client back within the test.
    const client = await connectedClient(url, { reconnection: { initialDelayMs: 60_000, maxDelayMs: 60_000, jitter: 0 } })
    const id = client.id
    const disconnects = collect<DisconnectEvent>(client.lifecycle, 'disconnect')
    const reconnecting = collect<ReconnectingEvent>(client.lifecycle, 'reconnecting')
    window.target.dispatchEvent(new Event('offline'))
    expect(disconnects).toEqual([{ reason: 'transport-close', code: 4000, willReconnect: true }])
    expect(reconnecting).toEqual([{ attempt: 1, delayMs: 60_000 }])
    const started = Date.now()
    const reconnected = once<ReconnectEvent>(client.lifecycle, 'reconnect')
    window.target.dispatchEvent(new Event('online'))
    expect(await reconnected).toEqual({ attempts: 1, recovered: true })
    expect(Date.now() - started).toBeLessThan(5000)
    expect(client.id).toBe(id)
  })
})

describe('offline and online events', () => {
  it('listens to them from connect() until the client stops, and not before', async () => {
    const { url } = await startServer()
    const client = createClient(url, { autoConnect: false })
    expect(window.listeners.size).toBe(0)
    client.connect()
    expect(window.listeners.size).toBe(2)
    await once(client.lifecycle, 'connect')
    client.disconnect()
    expect(window.listeners.size).toBe(0)
  })
})
