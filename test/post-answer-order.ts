import type { ClientTransport } from '@org/realtime-core'
import type { RealtimeServer } from '@org/realtime-server'
import { expect } from 'vitest'
import { connectedClient } from './support.js'

/** A fetch whose answers to the requests `delayed` picks reach the caller `ms` late. */
export function delayingFetch(delayed: (init: RequestInit | undefined, url: string) => boolean, ms = 150): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init)
    if (delayed(init, String(input))) await new Promise((resolve) => setTimeout(resolve, ms))
    return response
  }
}

/**
 * For an HTTP transport with numbered answers: a handler answers at once (its ack leaves in the
 * POST's answer) and disconnects 20 ms later (the close leaves on the transport's other way down);
 * the client, whose POST answers arrive 150 ms late, must hand the ack over before it closes.
 * `client` builds the client transport on the fetch it is given.
 */
export async function expectAckBeforeOvertakingClose(rt: RealtimeServer, url: string, client: (fetchImpl: typeof globalThis.fetch) => ClientTransport): Promise<void> {
  rt.on('connection', (conn) => {
    conn.on('last-words', (data) => {
      setTimeout(() => conn.disconnect(4403, 'done'), 20)
      return data
    })
  })
  const connected = await connectedClient(url, { transports: [client(delayingFetch((init) => init?.method === 'POST'))] })
  const codes: number[] = []
  connected.lifecycle.on('disconnect', (event) => codes.push(event.code))
  // Handed over before the close: answered, not failed by the disconnect.
  await expect(connected.emitWithAck('last-words', 'bye', { timeoutMs: 3000 })).resolves.toBe('bye')
  for (let turn = 0; turn < 100 && codes.length === 0; turn++) await new Promise((resolve) => setTimeout(resolve, 10))
  expect(codes).toEqual([4403])
}
