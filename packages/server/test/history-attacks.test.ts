import { CloseCode, ErrorCode, MAX_NESTING_DEPTH } from '@org/realtime-core'
import { MemoryHistory, memoryAdapter, type Adapter, type RealtimeServer, type RealtimeServerOptions } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { collect, connectedClient, describeTransports, once, rawPeer, startServer, until, type RawPeer } from '../../../test/support.js'
import { bystanderClient, expectServed, rawSocketFrom } from './second-address.js'

/** Nesting that `JSON.parse` accepts and `JSON.stringify` cannot encode again. */
const DEEP = 10_000
const deepText = '['.repeat(DEEP) + ']'.repeat(DEEP)

/** A server whose clients may do anything with `public:*` channels (the documented example), and answer `echo`. */
async function publicServer(options: RealtimeServerOptions<Record<string, any>> = {}): Promise<{ rt: RealtimeServer; port: number; url: string; history: () => MemoryHistory }> {
  const adapter: Adapter = memoryAdapter()
  const server = await startServer({ authorize: (_conn, channel) => channel.startsWith('public:'), adapter, ...options })
  server.rt.on('connection', (conn) => conn.on('echo', (data) => data))
  return { ...server, history: () => adapter.history as MemoryHistory }
}

/** Publishes `count` messages of `bytes` characters to each of `channels`. */
function fill(rt: RealtimeServer, channels: readonly string[], count: number, bytes: number): void {
  const text = 'x'.repeat(bytes)
  for (const channel of channels) for (let n = 0; n < count; n++) rt.to(channel).emit('m', text)
}

/** Each channel's epoch with offset 0: a `since` that asks for its whole history. */
async function positionsAtZero(url: string, channels: readonly string[]): Promise<Record<string, { epoch: string; offset: number }>> {
  const probe = await connectedClient(url)
  const since: Record<string, { epoch: string; offset: number }> = {}
  for (const channel of channels) since[channel] = { epoch: (await probe.channel(channel).history({ limit: 1 })).epoch, offset: 0 }
  return since
}

/** Characters of every frame `peer` received so far. */
function receivedChars(peer: RawPeer): number {
  return peer.frames.reduce((sum: number, frame: unknown) => sum + JSON.stringify(frame).length, 0)
}

describe('a frame nested deeper than the server can encode', () => {
  it('is refused at the door with BAD_FRAME, on the connection that sent it, while a bystander keeps working', async () => {
    const { port, url } = await publicServer()
    const bystander = await bystanderClient(url)
    const attacker = await rawSocketFrom(port)
    await attacker.handshake()
    attacker.send(`{"t":"pub","ch":"public:x","e":"m","d":${deepText}}`)
    attacker.send(`{"t":"event","e":"echo","id":7,"d":${deepText}}`)
    await until(() => attacker.frames.filter((frame) => frame.code === ErrorCode.BadFrame).length === 2, 2000, 'two refusals')
    const refusals = attacker.frames.filter((frame) => frame.t === 'error')
    expect(refusals[0].message).toContain(`at most ${MAX_NESTING_DEPTH} levels`)
    await expectServed(bystander)
  })

  it('is refused to the app that broadcasts it, before it enters history, so reading history later cannot fail', async () => {
    const { rt, url, history } = await publicServer()
    const deep = JSON.parse(deepText) as unknown
    expect(() => rt.to('public:lobby').emit('m', deep)).toThrowError(expect.objectContaining({ code: ErrorCode.InvalidPayload }))
    rt.to('public:lobby').emit('m', 'after')
    expect(history().peek('public:lobby')?.offset).toBe(1)
    const client = await connectedClient(url)
    const page = await client.channel('public:lobby').history()
    expect(page.messages).toEqual([{ offset: 1, event: 'm', data: 'after' }])
  })

  it('cannot lock the lobby of the README server out after a blip: every member resumes and gets what it missed once', async () => {
    const { rt, port, url } = await publicServer()
    rt.on('connection', (conn) => {
      conn.join('lobby')
      conn.on('send-message', (text: unknown) => {
        rt.to('lobby').emit('new-message', { text })
        return { ok: true }
      })
    })
    const member = await connectedClient(url)
    const messages = collect(member.channel('lobby'), 'new-message')
    const attacker = await rawSocketFrom(port)
    await attacker.handshake()
    attacker.send(`{"t":"event","e":"send-message","id":1,"d":${deepText}}`)
    await attacker.next((frame) => frame.t === 'error' && frame.code === ErrorCode.BadFrame)
    // A blip: the member's connection drops and it resumes its session.
    const reconnected = once(member.lifecycle, 'reconnect')
    ;(rt.connections.get(member.id as string) as { terminate(): void }).terminate()
    await expect(reconnected).resolves.toMatchObject({ recovered: true })
    await member.emitWithAck('send-message', 'hello')
    await until(() => messages.length === 1, 2000, 'the message')
    expect(messages).toEqual([{ text: 'hello' }])
  })
})

describe('history allocated per channel name', () => {
  it('charges a sub per channel it adds: 100 fresh names use up the burst, and the next fresh 100 are refused', async () => {
    const { port, url } = await publicServer()
    const bystander = await bystanderClient(url)
    const attacker = await rawSocketFrom(port)
    await attacker.handshake()
    const names = (from: number): string[] => Array.from({ length: 100 }, (_, n) => `public:${from + n}`)
    attacker.send({ t: 'sub', id: 1, ch: names(0) })
    attacker.send({ t: 'sub', id: 2, ch: names(100) })
    const first = await attacker.next((frame) => frame.t === 'ack' && frame.id === 1)
    expect(first.d).toHaveLength(100)
    const second = await attacker.next((frame) => frame.t === 'ack' && frame.id === 2)
    expect(second.err).toMatchObject({ code: ErrorCode.RateLimited })
    expect(second.err.retryAfterMs).toBeGreaterThan(0)
    await expectServed(bystander)
  })

  it('starts no history to answer a hist frame about a channel nobody is in', async () => {
    const { port, history } = await publicServer({ rateLimit: false })
    const attacker = await rawSocketFrom(port)
    await attacker.handshake()
    for (let id = 1; id <= 200; id++) attacker.send({ t: 'hist', id, ch: `public:fresh-${id}` })
    await attacker.next((frame) => frame.t === 'ack' && frame.id === 200)
    expect(attacker.frames.filter((frame) => frame.t === 'ack' && frame.d?.messages?.length === 0)).toHaveLength(200)
    expect(history().channels).toBe(0)
  })

  it('keeps at most historyChannels channel histories however many names are joined and left, forgetting unused empty ones first', async () => {
    const { rt, port, url, history } = await publicServer({ recovery: { historyChannels: 50 }, rateLimit: false })
    fill(rt, ['public:kept'], 3, 10)
    const bystander = await bystanderClient(url)
    await bystander.channel('public:kept').subscribe()
    const attacker = await rawSocketFrom(port)
    await attacker.handshake()
    for (let round = 1; round <= 20; round++) {
      const names = Array.from({ length: 50 }, (_, n) => `public:churn-${round}-${n}`)
      attacker.send({ t: 'sub', id: round, ch: names })
      await attacker.next((frame) => frame.t === 'ack' && frame.id === round)
      attacker.send({ t: 'unsub', ch: names })
    }
    // 1,001 without the cap; channels with members are never forgotten for it, so the last round's
    // 50, joined all at once, and the bystander's channel may stand beside each other.
    expect(history().channels).toBeLessThanOrEqual(51)
    // The channel with members and messages kept its history throughout.
    const page = await bystander.channel('public:kept').history()
    expect(page.messages.map((message) => message.offset)).toEqual([1, 2, 3])
  })

  it('grows a channel history with its messages: 5,000 joined channels cost far less than 5,000 empty rings', async () => {
    const { rt, history } = await publicServer()
    const before = process.memoryUsage().heapUsed
    // A ring of 1,000 slots per channel would take ~8 KB each, ~41 MB for these.
    fill(rt, Array.from({ length: 5000 }, (_, n) => `public:c${n}`), 1, 1)
    expect(history().channels).toBe(5000)
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024)
  })

  it('keeps at most historyBytes of history in all, evicting the oldest messages of any channel first', async () => {
    const { rt, url, history } = await publicServer({ recovery: { historyBytes: 256 * 1024 } })
    fill(rt, ['public:a', 'public:b', 'public:c'], 100, 2000)
    expect(history().bytes).toBeLessThanOrEqual(256 * 1024)
    // What is kept is the newest: the last channel's messages, none of the first's.
    const client = await connectedClient(url)
    const first = await client.channel('public:a').history({ limit: 1000 })
    expect(first).toMatchObject({ offset: 100, complete: false, messages: [] })
    const last = await client.channel('public:c').history({ limit: 1000 })
    expect(last.messages.map((message) => message.offset)).toEqual(Array.from({ length: 100 }, (_, n) => n + 1))
  })
})

describeTransports('replay and history amplification', () => {
  it('replays at most replayBytes for one sub frame; channels that do not fit are told recovered: false with LIMIT_EXCEEDED', async () => {
    const { rt, port, url } = await publicServer({ recovery: { replayBytes: 64 * 1024 } })
    const channels = Array.from({ length: 20 }, (_, n) => `public:busy-${n}`)
    fill(rt, channels, 100, 1000)
    const since = await positionsAtZero(url, channels)
    const bystander = await bystanderClient(url)
    const attacker = await rawPeer(port)
    await attacker.handshake()
    attacker.send({ t: 'sub', id: 1, ch: channels, since })
    const ack = await attacker.next((frame) => frame.t === 'ack' && frame.id === 1)
    const replayed = ack.d.filter((result: any) => result.recovered === true)
    const refused = ack.d.filter((result: any) => result.recovered === false)
    // 100 messages of ~1 KB: 100 KB per channel, more than the whole budget of 64 KB.
    expect(replayed).toHaveLength(0)
    expect(refused).toHaveLength(20)
    expect(refused[0].reason).toMatchObject({ code: ErrorCode.LimitExceeded })
    expect(receivedChars(attacker)).toBeLessThan(64 * 1024)
    await expectServed(bystander)
  })

  it('replays channels that fit, in order, until the budget of the frame is spent', async () => {
    const { rt, port, url } = await publicServer({ recovery: { replayBytes: 64 * 1024 } })
    const channels = Array.from({ length: 4 }, (_, n) => `public:some-${n}`)
    fill(rt, channels, 20, 1000)
    const since = await positionsAtZero(url, channels)
    const attacker = await rawPeer(port)
    await attacker.handshake()
    attacker.send({ t: 'sub', id: 1, ch: channels, since })
    const ack = await attacker.next((frame) => frame.t === 'ack' && frame.id === 1)
    // ~20 KB per channel: three fit in 64 KB, the fourth does not.
    expect(ack.d.map((result: any) => result.recovered)).toEqual([true, true, true, false])
    const events = attacker.frames.filter((frame) => Array.isArray(frame))
    expect(events).toHaveLength(60)
    expect(receivedChars(attacker)).toBeLessThan(64 * 1024 + 4096)
  })

  it('caps a history page at historyPageBytes and charges pages against bytesPerSecond, so hist frames cannot amplify', async () => {
    const { rt, port, url } = await publicServer({ recovery: { historyPageBytes: 64 * 1024 }, rateLimit: { bytesPerSecond: 64 * 1024, bytesBurst: 256 * 1024 } })
    fill(rt, ['public:big'], 1000, 1000)
    const bystander = await bystanderClient(url)
    const attacker = await rawPeer(port)
    await attacker.handshake()
    // Each 50-byte hist would return ~1 MB without the cap.
    for (let id = 1; id <= 20; id++) attacker.send({ t: 'hist', id, ch: 'public:big', limit: 1000 })
    await attacker.next((frame) => frame.t === 'ack' && frame.id === 20)
    const pages = attacker.frames.filter((frame) => frame.t === 'ack' && frame.d !== undefined)
    const refused = attacker.frames.filter((frame) => frame.t === 'ack' && frame.err?.code === ErrorCode.RateLimited)
    expect(pages.length).toBeGreaterThan(0)
    for (const page of pages) expect(JSON.stringify(page.d.messages).length).toBeLessThan(64 * 1024 + 2048)
    expect(pages.length + refused.length).toBe(20)
    // The burst and what refilled meanwhile: 256 KB, plus 64 KB a second.
    expect(receivedChars(attacker)).toBeLessThan(512 * 1024)
    await expectServed(bystander)
  })
})

describe('slow consumers cut off during a replay', () => {
  it('runs the slow-consumer path once, and sends nothing more once the connection is being closed', async () => {
    const warnings: string[] = []
    const logger = { debug() {}, info() {}, warn: (message: string) => warnings.push(message), error() {} }
    const { rt, port, url } = await publicServer({ logger, maxBufferedBytes: 64 * 1024, closeTimeoutMs: 200, rateLimit: false })
    const channels = Array.from({ length: 50 }, (_, n) => `public:hot-${n}`)
    fill(rt, channels, 100, 200)
    const since = await positionsAtZero(url, channels)
    const bystander = await bystanderClient(url)
    const attacker = await rawSocketFrom(port)
    const { sid } = await attacker.handshake()
    const gone = new Promise<number>((resolve) => rt.on('disconnect', (conn, info) => conn.id === sid && resolve(info.code)))
    // Stop reading: the kernel buffers fill, then the server's send queue grows.
    ;(attacker.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    attacker.send({ t: 'sub', id: 1, ch: channels, since })
    expect(await gone).toBe(CloseCode.SlowConsumer)
    expect(warnings.filter((message) => message.includes('slow consumer'))).toHaveLength(1)
    await expectServed(bystander)
  })
})
