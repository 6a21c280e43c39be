import type { ClientTransport } from '@org/realtime-core'
import type { RealtimeServer } from '@org/realtime-server'
import { expect } from 'vitest'
import { connectedClient, once } from './support.js'

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
  const disconnected = once(connected.lifecycle, 'disconnect', 3000)
  // Handed over before the close: answered, not failed by the disconnect.
  await expect(connected.emitWithAck('last-words', 'bye', { timeoutMs: 3000 })).resolves.toBe('bye')
  await disconnected
  expect(codes).toEqual([4403])
}

/**
 * For an HTTP transport with numbered answers: the server pushes a frame down the transport's way
 * down, then the client emits and the ack comes back in the POST's answer. `transport` delays
 * what comes down (the caller's fetch does), so the ack arrives first: the client must still hand
 * the push over first.
 */
export async function expectPushBeforeOvertakingAck(rt: RealtimeServer, url: string, transport: ClientTransport): Promise<void> {
  let push: ((data: string) => void) | undefined
  rt.on('connection', (conn) => {
    push = (data) => conn.emit('pushed', data)
  })
  const client = await connectedClient(url, { transports: [transport] })
  const seen: string[] = []
  client.on('pushed', (data) => seen.push(`pushed ${String(data)}`))
  setTimeout(() => push?.('alone'), 10)
  await new Promise((resolve) => setTimeout(resolve, 50))
  const acked = await client.emitWithAck('echo', 'x', { timeoutMs: 3000 })
  seen.push(`ack ${String(acked)}`)
  expect(seen).toEqual(['pushed alone', 'ack x'])
}
