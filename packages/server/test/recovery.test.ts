import { ErrorCode, type RealtimeError } from '@org/realtime-core'
import type { Connection } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { FaultyTransport } from '../../../test/faulty-transport.js'
import { collect, connectedClient, createClient, currentTransport, describeTransports, once, rawPeer, startServer, until } from '../../../test/support.js'

const everyone = { authorize: () => true }

/** A server, a client on a transport the test can break, and the client's connection. */
async function pair(options: Parameters<typeof startServer>[0] = {}, clientOptions: Parameters<typeof createClient>[1] = {}) {
  const server = await startServer({ ...everyone, ...options })
  const faulty = new FaultyTransport(currentTransport().client())
  const connected = once<Connection>(server.rt, 'connection')
  const client = await connectedClient(server.url, { transports: [faulty], ...clientOptions })
  return { ...server, client, faulty, conn: await connected }
}

describeTransports('session recovery', () => {
  it('resumes the session after a drop: same id, data, rooms, and no second connection event', async () => {
    const { rt, client, conn } = await pair()
    conn.data = { user: 'ada' }
    conn.join('server-room')
    const connections = collect(rt, 'connection')
    const disconnects = collect(rt, 'disconnect')
    const id = client.id
    conn.terminate()
    expect(await once(client.lifecycle, 'reconnect')).toEqual({ attempts: 1, recovered: true })
    expect(client.id).toBe(id)
    expect(rt.connections.get(id as string)).toBe(conn)
    expect(conn.connected).toBe(true)
    expect(conn.data).toEqual({ user: 'ada' })
    expect([...conn.rooms]).toEqual(['server-room'])
    expect(connections).toEqual([])
    expect(disconnects).toEqual([])
    const news = once(client.channel('server-room'), 'news')
    rt.to('server-room').emit('news', 'still in')
    expect(await news).toBe('still in')
  })

  it('replays channel messages and direct events sent while the client was away, once each and in order', async () => {
    const { rt, client, conn } = await pair({}, { reconnection: { initialDelayMs: 300, maxDelayMs: 300, jitter: 0 } })
    const channel = client.channel('feed')
    const received = collect<number>(channel, 'n')
    const direct = collect<string>(client, 'direct')
    expect(await channel.subscribe()).toEqual({ recovered: false })
    for (let n = 1; n <= 3; n++) rt.to('feed').emit('n', n)
    await until(() => received.length === 3, 2000, 'live messages')
    const subscribed = collect(channel.lifecycle, 'subscribed')
    const disconnected = once(client.lifecycle, 'disconnect')
    conn.terminate()
    await disconnected
    for (let n = 4; n <= 8; n++) rt.to('feed').emit('n', n)
    conn.emit('direct', 'while away')
    await once(client.lifecycle, 'reconnect')
    rt.to('feed').emit('n', 9)
    await until(() => received.length >= 9 && direct.length === 1, 2000, 'replay and live')
    expect(received).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(direct).toEqual(['while away'])
    expect(subscribed).toEqual([{ recovered: true }])
    expect(channel.offset).toBe(9)
  })

  it('ends a detached session sent more than sessionFrames frames; its client comes back fresh', async () => {
    const { rt, client, conn } = await pair({ recovery: { sessionFrames: 3 } }, { reconnection: { initialDelayMs: 300, maxDelayMs: 300, jitter: 0 } })
    const id = client.id
    const disconnected = once(client.lifecycle, 'disconnect')
    conn.terminate()
    await disconnected
    const ended = once(conn, 'disconnect')
    for (let n = 1; n <= 4; n++) conn.emit('direct', n)
    await ended
    expect(conn.resumable).toBe(false)
    expect(await once(client.lifecycle, 'reconnect')).toEqual({ attempts: 1, recovered: false })
    expect(client.id).not.toBe(id)
    expect(rt.connections.has(id as string)).toBe(false)
  })

  it('applies emits sent into a dying connection exactly once, and completes their acks after the resume', async () => {
    const { client, conn, faulty } = await pair()
    const handled: number[] = []
    let cut = false
    conn.on('inc', (n: number) => {
      handled.push(n)
      // The connection fails while the client is still sending: some frames never arrive.
      if (n === 20 && !cut) cut = faulty.break('close')
      return n * 2
    })
    const answers = Array.from({ length: 60 }, (_, index) => client.emitWithAck('inc', index + 1, { timeoutMs: 8000 }) as Promise<number>)
    const plain = Array.from({ length: 40 }, (_, index) => index + 61)
    for (const n of plain) client.emit('inc', n)
    expect(await Promise.all(answers)).toEqual(Array.from({ length: 60 }, (_, index) => (index + 1) * 2))
    await until(() => handled.length >= 100, 5000, 'every emit handled')
    expect(cut).toBe(true)
    expect(handled).toEqual(Array.from({ length: 100 }, (_, index) => index + 1))
  })

  it('replays a broadcast to several rooms once, as it was delivered live', async () => {
    const { rt, client, conn } = await pair({}, { reconnection: { initialDelayMs: 300, maxDelayMs: 300, jitter: 0 } })
    const received: number[] = []
    for (const room of ['a', 'b']) client.channel(room).on('n', (n: number) => received.push(n))
    await Promise.all([client.channel('a').subscribe(), client.channel('b').subscribe()])
    const disconnected = once(client.lifecycle, 'disconnect')
    conn.terminate()
    await disconnected
    rt.to(['a', 'b']).emit('n', 1)
    rt.to(['b', 'a']).emit('n', 2)
    rt.to('b').emit('n', 3)
    await once(client.lifecycle, 'reconnect')
    // 3 is replayed last: any repeat of 1 or 2 would have arrived before it.
    await until(() => received.includes(3), 2000, 'replay')
    expect(received).toEqual([1, 2, 3])
  })

  it('keeps an ack the server received but had not answered when the connection dropped, after a later one was answered', async () => {
    const { client, conn } = await pair()
    let answer: ((value: string) => void) | undefined
    conn.on('slow', () => new Promise<string>((resolve) => (answer = resolve)))
    conn.on('fast', () => 'fast')
    const slow = client.emitWithAck('slow', null, { timeoutMs: 8000 })
    await expect(client.emitWithAck('fast')).resolves.toBe('fast')
    const disconnected = once(client.lifecycle, 'disconnect')
    conn.terminate()
    await disconnected
    answer?.('slow')
    await expect(slow).resolves.toBe('slow')
  })

  it('completes an ack whose answer was sent while the client was away', async () => {
    const { client, conn } = await pair()
    let answer: ((value: string) => void) | undefined
    conn.on('slow', () => new Promise<string>((resolve) => (answer = resolve)))
    const pending = client.emitWithAck('slow', null, { timeoutMs: 8000 })
    await until(() => answer !== undefined, 2000, 'handler called')
    const disconnected = once(client.lifecycle, 'disconnect')
    conn.terminate()
    await disconnected
    answer?.('done')
    await expect(pending).resolves.toBe('done')
  })

  it('ends a session that is not resumed within the window: disconnect then, and OUTCOME_UNKNOWN for what was in flight', async () => {
    const { rt, client, conn } = await pair(
      { recovery: { windowMs: 200, historyAgeMs: 10_000 } },
      { reconnection: { initialDelayMs: 800, maxDelayMs: 800, jitter: 0 } },
    )
    const channel = client.channel('feed')
    const received = collect<number>(channel, 'n')
    await channel.subscribe()
    rt.to('feed').emit('n', 1)
    await until(() => received.length === 1, 2000, 'first message')
    // The server receives the call and never answers it: its outcome is unknown to the client.
    const handled = new Promise<void>((resolve) => conn.on('never', () => (resolve(), new Promise(() => {}))))
    const pending = client.emitWithAck('never', null, { timeoutMs: 8000 })
    const ended = once(rt, 'disconnect', 3000)
    await handled
    conn.terminate()
    await ended
    rt.to('feed').emit('n', 2)
    const reconnected = once(client.lifecycle, 'reconnect', 5000)
    const subscribed = once(channel.lifecycle, 'subscribed', 5000)
    expect(await reconnected).toEqual({ attempts: 1, recovered: false })
    await expect(pending).rejects.toMatchObject({ code: ErrorCode.OutcomeUnknown })
    // The session is gone, but the channel's history still holds what was missed.
    expect(await subscribed).toEqual({ recovered: true })
    await until(() => received.length === 2, 2000, 'replayed message')
    expect(received).toEqual([1, 2])
  })

  it('keeps the position of a quiet channel while it has members, so a resume after it went quiet recovers it', async () => {
    // The history forgets channels silent for historyAgeMs; its sweep runs every second here.
    const { rt, client, conn } = await pair({ recovery: { historyAgeMs: 100 } })
    const channel = client.channel('quiet')
    const received = collect<number>(channel, 'n')
    await channel.subscribe()
    rt.to('quiet').emit('n', 1)
    await until(() => received.length === 1, 2000, 'first message')
    await new Promise((resolve) => setTimeout(resolve, 1300))
    const subscribed = once(channel.lifecycle, 'subscribed', 5000)
    conn.terminate()
    expect(await subscribed).toEqual({ recovered: true })
  })

  it('reports recovered: false for a channel whose missed messages left the history', async () => {
    const { rt, client, conn } = await pair(
      { recovery: { windowMs: 100, historySize: 3 } },
      { reconnection: { initialDelayMs: 500, maxDelayMs: 500, jitter: 0 } },
    )
    const channel = client.channel('feed')
    await channel.subscribe()
    const disconnected = once(client.lifecycle, 'disconnect')
    conn.terminate()
    await disconnected
    for (let n = 1; n <= 5; n++) rt.to('feed').emit('n', n)
    expect(await once(channel.lifecycle, 'subscribed', 5000)).toEqual({ recovered: false })
  })

  for (const lost of [1, 2, 5]) {
    it(`resumes with the token it holds when the welcomes of ${lost} resume(s) in a row were lost with their connections`, async () => {
      const { rt, client, conn, faulty } = await pair()
      const id = client.id
      const connections = collect(rt, 'connection')
      // The next welcomes are cut off on their way: the client never learns the tokens they carried.
      let toLose = lost
      const original = faulty.open.bind(faulty)
      faulty.open = (url, listener) =>
        original(url, {
          ...listener,
          message: (frame) => {
            if (toLose > 0 && frame.includes('"t":"welcome"')) {
              toLose--
              faulty.break('close')
            } else listener.message(frame)
          },
        })
      conn.terminate()
      expect(await once(client.lifecycle, 'reconnect', 10_000)).toEqual({ attempts: lost + 1, recovered: true })
      expect(client.id).toBe(id)
      expect(connections).toEqual([])
    })
  }

  it('leaves, on resume, a channel unsubscribed while disconnected', async () => {
    const { client, conn } = await pair({}, { reconnection: { initialDelayMs: 200, maxDelayMs: 200, jitter: 0 } })
    await Promise.all([client.channel('kept').subscribe(), client.channel('left').subscribe()])
    const disconnected = once(client.lifecycle, 'disconnect')
    conn.terminate()
    await disconnected
    client.channel('left').unsubscribe()
    await once(client.lifecycle, 'reconnect')
    await until(() => !conn.rooms.has('left'), 2000, 'the server to leave the channel')
    expect([...conn.rooms]).toEqual(['kept'])
    expect(client.channel('kept').state).toBe('subscribed')
  })

  it('ends the session at once when the client disconnects on purpose', async () => {
    const { rt, client } = await pair()
    const ended = once(rt, 'disconnect', 1000)
    client.disconnect()
    expect(await ended).toBeDefined()
    expect(rt.connections.size).toBe(0)
  })

  it('reads channel history on demand, as the client would have received it', async () => {
    const { rt, client } = await pair()
    for (let n = 1; n <= 5; n++) rt.to('log').emit('n', n)
    rt.to('log').except(client.id as string).emit('n', 'hidden')
    const page = await client.channel('log').history({ since: 2, limit: 2 })
    expect(page).toEqual({
      epoch: expect.any(String),
      offset: 6,
      complete: true,
      messages: [
        { offset: 3, event: 'n', data: 3 },
        { offset: 4, event: 'n', data: 4 },
      ],
    })
    const all = await client.channel('log').history()
    expect(all.messages.map((message) => message.data)).toEqual([1, 2, 3, 4, 5])
  })
})

describeTransports('recovery bad input', () => {
  it('opens a fresh session for a forged resume token, with UNKNOWN_SESSION', async () => {
    const { rt, port } = await startServer(everyone)
    const peer = await rawPeer(port)
    peer.send({ t: 'hello', v: 1, resume: { token: 'forged', s: 0 } })
    const welcome = await peer.next((frame) => frame.t === 'welcome')
    expect(welcome.resumed).toBeUndefined()
    expect(welcome.err).toMatchObject({ code: ErrorCode.UnknownSession })
    expect(rt.connections.get(welcome.sid)?.data).toEqual({})
  })

  it('refuses to resume from a channel offset in the future or a sequence number never sent, ending that session', async () => {
    for (const resume of [{ s: 0, ch: { feed: 99 } }, { s: 5 }]) {
      const { rt, port } = await startServer(everyone)
      const first = await rawPeer(port)
      first.send({ t: 'hello', v: 1, recoverable: true })
      const welcome = await first.next((frame) => frame.t === 'welcome')
      first.send({ t: 'sub', id: 1, ch: ['feed'] })
      await first.next((frame) => frame.t === 'ack' && frame.id === 1)
      rt.to('feed').emit('n', 1)
      const second = await rawPeer(port)
      second.send({ t: 'hello', v: 1, resume: { token: welcome.token, ...resume } })
      const fresh = await second.next((frame) => frame.t === 'welcome')
      expect(fresh.err.code).toBe(resume.ch === undefined ? ErrorCode.InvalidSequence : ErrorCode.InvalidOffset)
      expect(fresh.sid).not.toBe(welcome.sid)
      await until(() => !rt.connections.has(welcome.sid), 2000, 'old session ended')
    }
  })

  it('answers a subscription from a future offset with recovered: false and INVALID_OFFSET', async () => {
    const { rt, port } = await startServer(everyone)
    rt.to('feed').emit('n', 1)
    const peer = await rawPeer(port)
    await peer.handshake()
    peer.send({ t: 'sub', id: 1, ch: ['feed'] })
    const [first] = (await peer.next((frame) => frame.t === 'ack' && frame.id === 1)).d
    peer.send({ t: 'unsub', ch: ['feed'] })
    peer.send({ t: 'sub', id: 2, ch: ['feed'], since: { feed: { epoch: first.epoch, offset: 50 } } })
    const [result] = (await peer.next((frame) => frame.t === 'ack' && frame.id === 2)).d
    expect(result).toMatchObject({ ch: 'feed', epoch: first.epoch, offset: 1, recovered: false, reason: { code: ErrorCode.InvalidOffset } })
  })

  it('charges repeated numbered frames against the rate limits', async () => {
    const { port } = await startServer({ ...everyone, rateLimit: { messagesPerSecond: 5, burst: 5 } })
    const peer = await rawPeer(port)
    peer.send({ t: 'hello', v: 1, recoverable: true })
    await peer.next((frame) => frame.t === 'welcome')
    for (let i = 0; i < 10; i++) peer.send({ t: 'event', e: 'x', s: 1 })
    expect(await peer.next((frame) => frame.t === 'error')).toMatchObject({ code: ErrorCode.RateLimited })
  })

  it('ends the session with INVALID_SEQUENCE and close 4409 when sequence numbers jump', async () => {
    const { port } = await startServer(everyone)
    const peer = await rawPeer(port)
    peer.send({ t: 'hello', v: 1, recoverable: true })
    await peer.next((frame) => frame.t === 'welcome')
    peer.send({ t: 'event', e: 'x', s: 1 })
    peer.send({ t: 'event', e: 'x', s: 3 })
    expect(await peer.next((frame) => frame.t === 'error')).toMatchObject({ code: ErrorCode.InvalidSequence })
    expect((await peer.closed).code).toBe(4409)
  })
})

describe('recovery off', () => {
  it('ends the session on a drop and rejects pending acks with DISCONNECTED', async () => {
    const { rt, client, conn } = await pair({ recovery: false })
    conn.on('never', () => new Promise(() => {}))
    const pending = client.emitWithAck('never')
    const ended = once(rt, 'disconnect', 2000)
    conn.terminate()
    await ended
    await expect(pending).rejects.toMatchObject({ code: ErrorCode.Disconnected } satisfies Partial<RealtimeError>)
    expect(await once(client.lifecycle, 'reconnect')).toEqual({ attempts: 1, recovered: false })
  })
})
