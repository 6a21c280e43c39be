import type { ChannelEventFrame } from '@org/realtime-core'
import { RealtimeServer } from '@org/realtime-server'
import { webSocketTransport } from '@org/realtime-transport-ws/server'
import type { Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import * as wsModule from 'ws'
import WebSocket from 'ws'
import { until } from '../../../test/support.js'
import { FramedWriter, textFrame } from '../src/internal/framed-writer.js'

/** ws's own frame builder, as the reference for ours. */
const Sender = (wsModule as unknown as { Sender: { frame: (data: Buffer, options: object) => Buffer[] } }).Sender
const wsFrame = (text: string): Buffer =>
  Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: true }))

/** A stand-in for a network socket that records what is written to it and its corking. */
function fakeSocket() {
  const socket = {
    writes: [] as Buffer[],
    corked: 0,
    flushed: [] as Buffer[][],
    cork() {
      socket.corked++
    },
    uncork() {
      socket.corked--
      socket.flushed.push(socket.writes.splice(0))
    },
    write(chunk: Buffer) {
      socket.writes.push(chunk)
      return true
    },
  }
  return socket
}

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

describe('textFrame', () => {
  it.each([
    ['an empty text', ''],
    ['125 bytes, the longest 7-bit length', 'a'.repeat(125)],
    ['126 bytes, the shortest 16-bit length', 'a'.repeat(126)],
    ['65535 bytes, the longest 16-bit length', 'a'.repeat(65_535)],
    ['65536 bytes, the shortest 64-bit length', 'a'.repeat(65_536)],
    ['multi-byte UTF-8 counted in bytes', '{"d":"é€😀"}'.repeat(20)],
  ])('builds the same bytes as ws for %s', (_name, text) => {
    expect(textFrame(text).equals(wsFrame(text))).toBe(true)
  })

  it('starts an unmasked final text frame with its length', () => {
    expect([...textFrame('{"t":"ping"}').subarray(0, 2)]).toEqual([0x81, 12])
    expect([...textFrame('x'.repeat(300)).subarray(0, 4)]).toEqual([0x81, 126, 0x01, 0x2c])
  })
})

describe('FramedWriter', () => {
  it('writes one buffer, built once, to every recipient of the same text', async () => {
    const writer = new FramedWriter()
    const sockets = [fakeSocket(), fakeSocket(), fakeSocket()]
    for (const socket of sockets) writer.write(socket as unknown as Socket, '{"t":"event","e":"n","d":1}')
    await new Promise((resolve) => process.nextTick(resolve))
    const [first] = sockets[0]!.flushed[0]!
    for (const socket of sockets) expect(socket.flushed).toEqual([[first]])
    for (const socket of sockets) expect(socket.flushed[0]![0]).toBe(first)
  })

  it('corks a socket for the rest of the turn, so its frames of one turn leave together', async () => {
    const writer = new FramedWriter()
    const socket = fakeSocket()
    writer.write(socket as unknown as Socket, 'a')
    writer.write(socket as unknown as Socket, 'b')
    expect(socket.corked).toBe(1)
    await new Promise((resolve) => process.nextTick(resolve))
    expect(socket.corked).toBe(0)
    expect(socket.flushed).toEqual([[textFrame('a'), textFrame('b')]])
  })
})

describe('WebSocket writes', () => {
  it('delivers every frame of a broadcast to all its recipients, in order', async () => {
    const { rt, sockets, received } = await roomOf(30, false)
    for (let n = 0; n < 100; n++) rt.to('r').emit('n', n)
    await until(() => received.every((frames) => frames.length === 101), 5000, 'every frame')
    for (const frames of received) expect(frames.slice(1).map((text) => (JSON.parse(text) as ChannelEventFrame)[3])).toEqual(Array.from({ length: 100 }, (_, n) => n))
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
