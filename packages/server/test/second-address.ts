import type { RealtimeClient } from '@org/realtime-client'
import { webSocketTransport, type WebSocketClientTransportOptions } from '@org/realtime-transport-ws/client'
import { expect, onTestFinished } from 'vitest'
import WebSocket from 'ws'
import { RawSocket, connectedClient } from '../../../test/support.js'

/**
 * Another local address than the 127.0.0.1 the attacks come from: on Linux every 127.0.0.x is
 * this machine, and the server counts it as another peer.
 */
export const BYSTANDER_ADDRESS = '127.0.0.2'

/** A `ws` WebSocket that connects from {@link BYSTANDER_ADDRESS}. */
class BystanderWebSocket extends WebSocket {
  constructor(url: string) {
    super(url, { localAddress: BYSTANDER_ADDRESS })
  }
}

/** A connected client, over WebSocket, from {@link BYSTANDER_ADDRESS}; disconnected after the test. */
export function bystanderClient(url: string): Promise<RealtimeClient> {
  return connectedClient(url, { transports: [webSocketTransport({ WebSocket: BystanderWebSocket as unknown as WebSocketClientTransportOptions['WebSocket'] })] })
}

/**
 * Checks that `client` is still served: an `echo` (the server must answer it with its data) comes
 * back within `withinMs`.
 */
export async function expectServed(client: RealtimeClient, withinMs = 1000): Promise<void> {
  const started = performance.now()
  await expect(client.emitWithAck('echo', 'still here', { timeoutMs: withinMs })).resolves.toBe('still here')
  expect(performance.now() - started).toBeLessThan(withinMs)
}

/** A raw WebSocket peer from `address` (127.0.0.1 unless told); terminated after the test. */
export async function rawSocketFrom(port: number, address = '127.0.0.1'): Promise<RawSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime`, { localAddress: address })
  onTestFinished(() => ws.terminate())
  const raw = new RawSocket(ws)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return raw
}
