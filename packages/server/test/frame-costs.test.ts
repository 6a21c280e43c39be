import { CloseCode, ErrorCode } from '@org/realtime-core'
import { describe, expect, it } from 'vitest'
import { describeTransports, rawPeer, startServer, until } from '../../../test/support.js'
import { bystanderClient, expectServed } from './second-address.js'

/** Answers `echo` with its data, for the bystander's checks. */
async function echoServer(options: Parameters<typeof startServer>[0] = {}): Promise<Awaited<ReturnType<typeof startServer>>> {
  const server = await startServer(options)
  server.rt.on('connection', (conn) => conn.on('echo', (data) => data))
  return server
}

describeTransports('frames the server did not ask for', () => {
  for (const [name, frame] of [
    ['pong', { t: 'pong' }],
    ['ack', { t: 'ack', id: 12345 }],
    ['rcv', { t: 'rcv', s: 99 }],
  ] as const) {
    it(`charges a ${name} that answers nothing like any frame: a flood is refused and closed with 4429 while a bystander is served`, async () => {
      const { port, url } = await echoServer()
      const bystander = await bystanderClient(url)
      const attacker = await rawPeer(port)
      await attacker.handshake()
      // The burst (100) and the abuse tolerance (20), and more: without a cost all of them would be free.
      for (let n = 0; n < 300; n++) attacker.send(frame)
      expect(await attacker.closed).toMatchObject({ code: CloseCode.RateLimited })
      expect(attacker.frames.some((received) => received.t === 'error' && received.code === ErrorCode.RateLimited)).toBe(true)
      await expectServed(bystander)
    })
  }
})

describe('frames the server asked for', () => {
  it('keeps the pong that answers each ping and the acks of its own requests free, however small the budget', async () => {
    const { rt, port } = await echoServer({ pingIntervalMs: 20, pingTimeoutMs: 1000, rateLimit: { messagesPerSecond: 1, burst: 1, abuseTolerance: 1 } })
    const peer = await rawPeer(port)
    peer.answerPings = true
    const { sid } = await peer.handshake()
    const conn = rt.connections.get(sid)
    expect(conn).toBeDefined()
    const answers: Array<Promise<unknown>> = []
    for (let n = 0; n < 10; n++) answers.push(conn!.emitWithAck('question', n))
    // Answer each request as a client does.
    await until(() => peer.frames.filter((frame) => frame.t === 'event' && frame.id !== undefined).length === 10, 2000, 'the requests')
    for (const request of peer.frames.filter((frame) => frame.t === 'event' && frame.id !== undefined)) peer.send({ t: 'ack', id: request.id, d: 'yes' })
    await expect(Promise.all(answers)).resolves.toHaveLength(10)
    await until(() => peer.frames.filter((frame) => frame.t === 'ping').length >= 10, 2000, 'ten pings answered')
    expect(peer.frames.filter((frame) => frame.t === 'error')).toEqual([])
    expect(rt.connections.has(sid)).toBe(true)
  })
})
