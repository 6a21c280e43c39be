import { RealtimeServer } from '@org/realtime-server'
import { webSocketTransport } from '@org/realtime-transport-ws/server'
import { describe, expect, it, vi } from 'vitest'
import * as wsModule from 'ws'
import WebSocket from 'ws'
import { until } from '../../../test/support.js'

const Sender = (wsModule as unknown as { Sender: { frame: (...args: unknown[]) => unknown } }).Sender

/** `count` raw clients past the handshake, all in room `r`, each counting the frames it reads. */
async function roomOf(count: number, perMessageDeflate: boolean) {
  const rt = new RealtimeServer({ transports: [webSocketTransport({ perMessageDeflate })], rateLimit: false })
  rt.on('connection', (conn) => conn.join('r'))
  const port = await rt.listen(0, { host: '127.0.0.1' })
  const received: string[][] = []
  const sockets = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime`)
      received[index] = []
      ws.on('message', (data) => received[index]!.push(String(data)))
      await new Promise((resolve) => ws.once('open', resolve))
      ws.send('{"t":"hello","v":1}')
      return ws
    }),
  )
  await until(() => rt.connections.size === count, 5000, 'every handshake')
  return { rt, sockets, received }
}

describe('WebSocket writes', () => {
  it('frames a broadcast once for all its recipients and delivers every frame in order', async () => {
    const { rt, sockets, received } = await roomOf(30, false)
    const frame = vi.spyOn(Sender, 'frame')
    try {
      for (let n = 0; n < 100; n++) rt.to('r').emit('n', n)
      expect(frame).toHaveBeenCalledTimes(100)
    } finally {
      frame.mockRestore()
    }
    await until(() => received.every((frames) => frames.length === 101), 5000, 'every frame')
    for (const frames of received) expect(frames.slice(1).map((text) => JSON.parse(text).d)).toEqual(Array.from({ length: 100 }, (_, n) => n))
    for (const ws of sockets) ws.terminate()
    await rt.close()
  })

  it('goes through ws itself when permessage-deflate is on', async () => {
    const { rt, sockets, received } = await roomOf(3, true)
    for (let n = 0; n < 10; n++) rt.to('r').emit('n', n)
    await until(() => received.every((frames) => frames.length === 11), 5000, 'every frame')
    for (const ws of sockets) ws.terminate()
    await rt.close()
  })
})
