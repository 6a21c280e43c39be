import { CloseCode, ErrorCode, RealtimeError } from '@org/realtime-core'
import type { Handshake } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { RawSocket, collect, connectedClient, createClient, describeTransports, once, rawPeer, startServer, until } from '../../../test/support.js'

describeTransports('handshake', (transport) => {
  it('accepts a client and gives its connection the data authenticate returned', async () => {
    const { rt, url } = await startServer({
      authenticate: (handshake) => ({ user: (handshake.auth as { token: string }).token.toUpperCase() }),
    })
    const connected = once(rt, 'connection')
    const client = await connectedClient(url, { auth: { token: 'alice' } })
    const conn = await connected
    expect(conn.data).toEqual({ user: 'ALICE' })
    expect(conn.id).toBe(client.id)
    expect(conn.handshake.remoteAddress).toBe('127.0.0.1')
    expect(conn.transport).toBe(transport.name)
    expect(client.state).toBe('connected')
  })

  it('gives a connection an empty data object when authenticate returns none, the same on every read', async () => {
    const expiries: unknown[] = []
    const { rt, url } = await startServer({
      authenticate: (handshake) => (handshake.auth === 'anonymous' ? undefined : { user: handshake.auth }),
      expiresAt: (data) => void expiries.push(data),
    })
    const conns = collect(rt, 'connection')
    await connectedClient(url, { auth: 'anonymous' })
    await connectedClient(url, { auth: 'bob' })
    const [anonymous, bob] = conns
    expect(anonymous?.data).toEqual({})
    expect(anonymous?.data).toBe(anonymous?.data)
    anonymous!.data.visits = 1
    expect(anonymous?.data).toEqual({ visits: 1 })
    anonymous!.data = { user: 'guest' }
    expect(anonymous?.data).toEqual({ user: 'guest' })
    expect(bob?.data).toEqual({ user: 'bob' })
    // `expiresAt` sees an empty object for no data, as before.
    expect(expiries).toEqual([{}, { user: 'bob' }])
  })

  it('calls an auth function on every connect', async () => {
    // Without recovery every reconnect is a new session, whose data comes from authenticate.
    const { rt, url } = await startServer({ recovery: false, authenticate: (handshake) => ({ token: handshake.auth }) })
    let calls = 0
    const client = await connectedClient(url, { auth: async () => `token-${++calls}` })
    const first = [...rt.connections.values()][0]
    expect(first?.data).toEqual({ token: 'token-1' })
    first?.terminate()
    await once(client.lifecycle, 'reconnect')
    expect([...rt.connections.values()].map((conn) => conn.data)).toEqual([{ token: 'token-2' }])
  })

  it('refuses a connection when authenticate throws, and the client does not retry', async () => {
    let attempts = 0
    const { rt, url } = await startServer({
      authenticate: () => {
        attempts++
        throw new Error('secret detail that must not leak')
      },
    })
    const connections = collect(rt, 'connection')
    const client = createClient(url, { auth: { token: 'bad' } })
    const reconnecting = collect(client.lifecycle, 'reconnecting')
    const error: RealtimeError = await once(client.lifecycle, 'error')
    expect(error).toBeInstanceOf(RealtimeError)
    expect(error.code).toBe(ErrorCode.Unauthorized)
    expect(error.message).not.toContain('secret')
    expect(client.state).toBe('disconnected')
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(attempts).toBe(1)
    expect(reconnecting).toEqual([])
    expect(connections).toEqual([])
  })

  it('passes the message of a RealtimeError thrown by authenticate to the client', async () => {
    const { url } = await startServer({
      authenticate: () => {
        throw new RealtimeError(ErrorCode.Unauthorized, 'token expired')
      },
    })
    const error: RealtimeError = await once(createClient(url).lifecycle, 'error')
    expect(error.code).toBe(ErrorCode.Unauthorized)
    expect(error.message).toBe('token expired')
  })

  it('closes a refused raw connection with 4401 after an error frame', async () => {
    const { port } = await startServer({
      authenticate: () => {
        throw new Error('no')
      },
    })
    const raw = await rawPeer(port)
    raw.send({ t: 'hello', v: 1 })
    expect(await raw.closed).toEqual({ code: CloseCode.Unauthorized, reason: ErrorCode.Unauthorized })
    expect(raw.frames).toEqual([{ t: 'error', code: 'UNAUTHORIZED', message: 'Authentication failed' }])
  })

  it('refuses a connection a connection middleware rejects, with FORBIDDEN', async () => {
    const { rt, url } = await startServer()
    rt.use((conn) => {
      if (conn.handshake.auth === 'banned') throw new RealtimeError(ErrorCode.Forbidden, 'banned')
    })
    const error: RealtimeError = await once(createClient(url, { auth: 'banned' }).lifecycle, 'error')
    expect(error.code).toBe(ErrorCode.Forbidden)
    expect((await connectedClient(url, { auth: 'welcome' })).connected).toBe(true)
  })

  it('refuses an unsupported protocol version with 4426', async () => {
    const { port } = await startServer()
    const raw = await rawPeer(port)
    raw.send({ t: 'hello', v: 2 })
    expect((await raw.closed).code).toBe(CloseCode.UnsupportedVersion)
    expect(raw.frames[0]).toMatchObject({ t: 'error', code: 'UNSUPPORTED_VERSION' })
  })

  it('refuses a connection whose first frame is not hello with 4400', async () => {
    const { port } = await startServer()
    const raw = await rawPeer(port)
    raw.send({ t: 'event', e: 'x' })
    expect((await raw.closed).code).toBe(CloseCode.BadRequest)
    expect(raw.frames[0]).toMatchObject({ t: 'error', code: 'BAD_FRAME' })
  })

  it('refuses a malformed first frame with 4400', async () => {
    const { port } = await startServer()
    const raw = await rawPeer(port)
    raw.send('{"t":"hello",')
    expect((await raw.closed).code).toBe(CloseCode.BadRequest)
    expect(raw.frames[0]).toMatchObject({ t: 'error', code: 'BAD_FRAME' })
  })

  it('welcomes a peer whose URL says hello=1 without waiting for a frame, as a recoverable hello', async () => {
    const { rt, port } = await startServer()
    const handshakes: Handshake[] = []
    rt.on('connection', (conn) => handshakes.push(conn.handshake))
    const raw = await rawPeer(port, { query: 'hello=1' })
    const welcome = await raw.next((frame) => frame.t === 'welcome')
    expect(typeof welcome.token).toBe('string')
    expect(handshakes).toHaveLength(1)
    expect(handshakes[0]).toMatchObject({ auth: undefined, transport: transport.name })
    expect(handshakes[0]?.url).toContain('hello=1')
    // The handshake is done: a hello frame now is one too many, and the connection stays.
    raw.send({ t: 'hello', v: 1 })
    expect(await raw.next((frame) => frame.t === 'error')).toMatchObject({ code: 'BAD_FRAME', message: 'Malformed frame: the handshake is already done' })
    expect(rt.connections.size).toBe(1)
  })

  it('refuses a URL hello of another version with 4426, and one that is no version with 4400', async () => {
    const { rt, port } = await startServer()
    const refusals = await Promise.all(
      ['hello=2', 'hello=one'].map(async (query) => {
        const raw = await rawPeer(port, { query })
        return { close: (await raw.closed).code, error: raw.frames[0] }
      }),
    )
    expect(refusals).toMatchObject([
      { close: CloseCode.UnsupportedVersion, error: { t: 'error', code: 'UNSUPPORTED_VERSION' } },
      { close: CloseCode.BadRequest, error: { t: 'error', code: 'BAD_FRAME' } },
    ])
    expect(rt.connections.size).toBe(0)
  })

  it('has a client with no credentials say hello in its URL, and one with auth send it as a frame', async () => {
    const { rt, url } = await startServer({ authenticate: (handshake) => ({ auth: handshake.auth }) })
    const urls: string[] = []
    rt.on('connection', (conn) => urls.push(conn.handshake.url))
    const anonymous = await connectedClient(url)
    const signedIn = await connectedClient(url, { auth: 'token' })
    expect(urls[0]).toContain('hello=1')
    expect(urls[1]).not.toContain('hello=')
    expect([...rt.connections.values()].map((conn) => conn.data)).toEqual([{ auth: undefined }, { auth: 'token' }])
    expect(anonymous.connected && signedIn.connected).toBe(true)
  })

  it('closes a connection that sends no handshake within handshakeTimeoutMs with 4408', async () => {
    const { port } = await startServer({ handshakeTimeoutMs: 50 })
    const raw = await rawPeer(port)
    expect((await raw.closed).code).toBe(CloseCode.HandshakeTimeout)
    expect(raw.frames[0]).toMatchObject({ t: 'error', code: 'HANDSHAKE_TIMEOUT' })
  })

  it('times out each waiting handshake handshakeTimeoutMs after it began, and none that completed', async () => {
    const { rt, port } = await startServer({ handshakeTimeoutMs: 200 })
    const first = await rawPeer(port)
    const firstOpenedAt = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 100))
    const second = await rawPeer(port)
    const secondOpenedAt = Date.now()
    const welcomed = await rawPeer(port)
    await welcomed.handshake()
    expect((await first.closed).code).toBe(CloseCode.HandshakeTimeout)
    expect(Date.now() - firstOpenedAt).toBeGreaterThanOrEqual(150)
    expect((await second.closed).code).toBe(CloseCode.HandshakeTimeout)
    expect(Date.now() - secondOpenedAt).toBeGreaterThanOrEqual(150)
    expect(rt.connections.size).toBe(1)
  })

  it('times out a handshake that began after every earlier one completed, handshakeTimeoutMs after it began', async () => {
    const { rt, port } = await startServer({ handshakeTimeoutMs: 200 })
    await (await rawPeer(port)).handshake()
    await new Promise((resolve) => setTimeout(resolve, 100))
    const late = await rawPeer(port)
    const lateOpenedAt = Date.now()
    expect((await late.closed).code).toBe(CloseCode.HandshakeTimeout)
    expect(Date.now() - lateOpenedAt).toBeGreaterThanOrEqual(150)
    expect(rt.connections.size).toBe(1)
  })

  it('welcomes with the heartbeat settings and maxPayload', async () => {
    const { port } = await startServer({ pingIntervalMs: 1234, pingTimeoutMs: 567, maxPayload: 4096 })
    const raw = await rawPeer(port)
    const welcome = await raw.handshake()
    expect(welcome).toEqual({ t: 'welcome', v: 1, sid: expect.any(String), pingInterval: 1234, pingTimeout: 567, maxPayload: 4096 })
  })
})

/** The text of the first frame a raw WebSocket gets after sending `hello`. */
async function welcomeText(port: number, hello: object): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime`)
  try {
    const text = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))))
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
    ws.send(JSON.stringify(hello))
    return await text
  } finally {
    ws.terminate()
  }
}

describe('welcome text', () => {
  const sid = '"sid":"[A-Za-z0-9_-]{20}"'

  it('carries its fields in the order of the protocol', async () => {
    const { port } = await startServer({ pingIntervalMs: 1234, pingTimeoutMs: 567, maxPayload: 4096 })
    const text = await welcomeText(port, { t: 'hello', v: 1 })
    expect(text).toMatch(new RegExp(`^\\{"t":"welcome","v":1,${sid},"pingInterval":1234,"pingTimeout":567,"maxPayload":4096\\}$`))
  })

  it('adds expiresAt, then the token of a session that can be resumed', async () => {
    const { port } = await startServer({ expiresAt: () => 4_102_444_800_000 })
    const text = await welcomeText(port, { t: 'hello', v: 1, recoverable: true })
    const rest = '"pingInterval":25000,"pingTimeout":20000,"maxPayload":1048576,"expiresAt":4102444800000,"token":"[A-Za-z0-9_-]{22}"'
    expect(text).toMatch(new RegExp(`^\\{"t":"welcome","v":1,${sid},${rest}\\}$`))
  })

  it('ends with why a resume failed', async () => {
    const { port } = await startServer()
    const text = await welcomeText(port, { t: 'hello', v: 1, resume: { token: 'unknown', s: 0 } })
    expect(text).toMatch(new RegExp(`^\\{"t":"welcome","v":1,${sid},"pingInterval":25000,"pingTimeout":20000,"maxPayload":1048576,"token":"[^"]+","err":\\{"code":"UNKNOWN_SESSION","message":"[^"]+"\\}\\}$`))
  })

  it('gives every connection a different session id and token', async () => {
    // Enough connections to use up several batches of random bytes.
    const { port } = await startServer({ rateLimit: false })
    const welcomes = await Promise.all(Array.from({ length: 250 }, () => welcomeText(port, { t: 'hello', v: 1, recoverable: true })))
    const frames = welcomes.map((text) => JSON.parse(text))
    expect(frames.every((frame) => frame.t === 'welcome')).toBe(true)
    expect(new Set(frames.map((frame) => frame.sid)).size).toBe(250)
    expect(new Set(frames.map((frame) => frame.token)).size).toBe(250)
  })
})

describeTransports('listener failures', () => {
  it('keeps a connection whose connection listener throws, and logs the error', async () => {
    const logged: string[] = []
    const logger = { debug() {}, info() {}, warn() {}, error: (message: string) => logged.push(message) }
    const { rt, url } = await startServer({ logger })
    rt.on('connection', (conn) => {
      conn.on('echo', (data) => data)
      throw new Error('listener bug')
    })
    const client = await connectedClient(url)
    await expect(client.emitWithAck('echo', 1)).resolves.toBe(1)
    expect(logged).toEqual(['connection listener threw'])
    client.disconnect()
    await until(() => rt.connections.size === 0, 2000, 'the connection to be removed')
  })
})

describeTransports('connection middleware', () => {
  it('holds frames a middleware sends until after the welcome', async () => {
    const { rt, port } = await startServer()
    rt.use((conn) => {
      conn.join('early')
      conn.emit('greeting', 'hi')
    })
    const raw = await rawPeer(port)
    await raw.handshake()
    await raw.next((frame) => frame.t === 'event')
    expect(raw.frames.map((frame) => frame.t)).toEqual(['welcome', 'event'])
  })

  it('releases the rooms a refused connection joined', async () => {
    const { rt, port, url } = await startServer()
    rt.use((conn) => conn.join('lobby'))
    rt.use((conn) => {
      if (conn.handshake.auth === 'refuse') throw new RealtimeError(ErrorCode.Forbidden, 'no')
    })
    const raw = await rawPeer(port)
    raw.send({ t: 'hello', v: 1, auth: 'refuse' })
    expect((await raw.closed).code).toBe(CloseCode.Forbidden)
    const member = await connectedClient(url)
    const received = collect(member.channel('lobby'), 'news')
    rt.to('lobby').emit('news', 1)
    const marker = once(member, 'marker')
    rt.emit('marker')
    await marker
    expect(received).toEqual([1])
    expect(rt.connections.size).toBe(1)
  })
})

describe('handshake headers over websocket', () => {
  it('gives each connection the URL and the headers of its own request', async () => {
    const { rt, port } = await startServer()
    const handshakes: Handshake[] = []
    rt.on('connection', (conn) => handshakes.push(conn.handshake))
    const sockets = ['/realtime', '/realtime?room=b'].map(
      (path, index) => new RawSocket(new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { 'user-agent': 'agent/1.0', 'x-trace': `t${index}` } })),
    )
    const opened = sockets.map((raw) => new Promise((resolve) => raw.ws.once('open', resolve)))
    try {
      for (const [index, raw] of sockets.entries()) {
        await opened[index]
        await raw.handshake()
      }
      expect(handshakes.map((handshake) => handshake.url)).toEqual(['/realtime', '/realtime?room=b'])
      for (const [index, handshake] of handshakes.entries()) {
        expect(handshake.headers).toMatchObject({ host: `127.0.0.1:${port}`, upgrade: 'websocket', 'user-agent': 'agent/1.0', 'x-trace': `t${index}` })
      }
      expect(handshakes[0]?.headers['sec-websocket-key']).not.toBe(handshakes[1]?.headers['sec-websocket-key'])
    } finally {
      for (const raw of sockets) raw.ws.terminate()
    }
  })
})
