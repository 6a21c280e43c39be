import { ErrorCode, RealtimeError, type ClientTransport } from '@org/realtime-core'
import type { Connection } from '@org/realtime-server'
import { expect, it } from 'vitest'
import { collect, connectedClient, createClient, currentTransport, describeTransports, once, startServer, until } from '../../../test/support.js'

/** A server whose authorize lets `user` subscribe to `public:*` and `user:<user>`, and publish to `public:*`. */
async function guardedServer() {
  return startServer<{ user: string }>({
    authenticate: (handshake) => ({ user: String(handshake.auth) }),
    authorize: (conn, channel, action) => {
      if (channel.startsWith('public:')) return true
      if (channel === 'boom') throw new Error('authorize bug')
      return action === 'subscribe' && channel === `user:${conn.data.user}`
    },
  })
}

describeTransports('channels', () => {
  it('reports an exception of every channel listener, the first one included, and still calls the rest', async () => {
    const { rt, url } = await guardedServer()
    const connected = once<Connection>(rt, 'connection')
    const client = await connectedClient(url, { auth: 'ann' })
    const channel = client.channel('user:ann')
    await channel.subscribe()
    await connected
    const received: unknown[] = []
    channel.on('alert', () => {
      throw new Error('first listener')
    })
    channel.on('alert', () => {
      throw new Error('second listener')
    })
    channel.on('alert', (data) => received.push(data))
    // Listener exceptions are the client's lifecycle `error`, with the exception as `cause`.
    const errors = collect<RealtimeError>(client.lifecycle, 'error')
    rt.to('user:ann').emit('alert', 1)
    await until(() => errors.length === 2, 2000, 'both exceptions reported')
    expect(errors.map((error) => error.code)).toEqual([ErrorCode.ListenerError, ErrorCode.ListenerError])
    const reported = errors.map((error) => (error.cause as Error).message)
    expect(reported.sort()).toEqual(['first listener', 'second listener'])
    expect(received).toEqual([1])
  })

  it('subscribes when authorized and receives the events broadcast to the channel', async () => {
    const { rt, url } = await guardedServer()
    const connected = once<Connection>(rt, 'connection')
    const client = await connectedClient(url, { auth: 'ann' })
    const conn = await connected
    const channel = client.channel('user:ann')
    expect(client.channel('user:ann')).toBe(channel)
    await channel.subscribe()
    expect(channel.state).toBe('subscribed')
    expect(conn.rooms.has('user:ann')).toBe(true)
    const received = once(channel, 'alert')
    rt.to('user:ann').emit('alert', { n: 1 })
    expect(await received).toEqual({ n: 1 })
  })

  it('refuses an unauthorized subscription with FORBIDDEN, reported once by the promise, and delivers nothing of it', async () => {
    const { rt, url } = await guardedServer()
    const client = await connectedClient(url, { auth: 'ann' })
    const channel = client.channel('user:bob')
    const heard = collect(channel, 'alert')
    const errors = collect<RealtimeError>(client.lifecycle, 'error')
    const channelErrors = collect<RealtimeError>(channel.lifecycle, 'error')
    const ended = collect(channel.lifecycle, 'unsubscribed')
    await expect(channel.subscribe()).rejects.toMatchObject({ code: ErrorCode.Forbidden })
    expect(channel.state).toBe('unsubscribed')
    expect(ended).toEqual([{ error: expect.objectContaining({ code: ErrorCode.Forbidden }) }])
    expect([...errors, ...channelErrors]).toEqual([])
    rt.to('user:bob').emit('alert', 'secret')
    const marker = once(client, 'marker')
    rt.emit('marker')
    await marker
    expect(heard).toEqual([])
  })

  it('authorizes the channels subscribed in one tick in one frame and one round trip', async () => {
    const { url } = await guardedServer()
    const sent: string[] = []
    const transport = currentTransport().client()
    const counting: ClientTransport = {
      name: transport.name,
      open: (target, listener) => {
        const socket = transport.open(target, listener)
        return { ...socket, send: (frame) => (sent.push(frame), socket.send(frame)), close: (code, reason) => socket.close(code, reason) }
      },
    }
    const client = await connectedClient(url, { auth: 'ann', transports: [counting] })
    const results = await Promise.allSettled(['public:a', 'user:bob', 'public:b'].map((name) => client.channel(name).subscribe()))
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    const subscriptions = sent.map((frame) => JSON.parse(frame)).filter((frame) => frame.t === 'sub')
    expect(subscriptions).toEqual([{ t: 'sub', id: expect.any(Number), ch: ['public:a', 'user:bob', 'public:b'] }])
  })

  it('treats an authorize hook that throws as a refusal', async () => {
    const { url } = await guardedServer()
    const client = await connectedClient(url, { auth: 'ann' })
    await expect(client.channel('boom').subscribe()).rejects.toMatchObject({ code: ErrorCode.Forbidden })
  })

  it('passes the code of a RealtimeError thrown by authorize', async () => {
    const { url } = await startServer({
      authorize: () => {
        throw new RealtimeError('PLAN_LIMIT', 'upgrade to subscribe')
      },
    })
    const client = await connectedClient(url)
    await expect(client.channel('x').subscribe()).rejects.toMatchObject({ code: 'PLAN_LIMIT', message: 'upgrade to subscribe' })
  })

  it('refuses every subscription and publish when the server sets no authorize hook', async () => {
    const { url } = await startServer()
    const client = await connectedClient(url)
    await expect(client.channel('room:1').subscribe()).rejects.toMatchObject({ code: ErrorCode.Forbidden })
    await expect(client.channel('room:1').publishWithAck('x')).rejects.toMatchObject({ code: ErrorCode.Forbidden })
  })

  it('subscribes made before the connection complete once connected', async () => {
    const { url } = await guardedServer()
    const client = createClient(url, { auth: 'ann', autoConnect: false })
    const subscribed = client.channel('public:news').subscribe()
    expect(client.channel('public:news').state).toBe('subscribing')
    client.connect()
    await subscribed
    expect(client.channel('public:news').state).toBe('subscribed')
  })

  it('publishes to the other subscribers of a channel, not back to the sender', async () => {
    const { url } = await guardedServer()
    const [ann, bob] = await Promise.all([connectedClient(url, { auth: 'ann' }), connectedClient(url, { auth: 'bob' })])
    await Promise.all([ann.channel('public:chat').subscribe(), bob.channel('public:chat').subscribe()])
    const annHeard = collect(ann.channel('public:chat'), 'typing')
    const bobHeard = once(bob.channel('public:chat'), 'typing')
    await ann.channel('public:chat').publishWithAck('typing', { user: 'ann' })
    expect(await bobHeard).toEqual({ user: 'ann' })
    expect(annHeard).toEqual([])
  })

  it('refuses an unauthorized publish: publishWithAck rejects, publish reports an error event', async () => {
    const { url } = await guardedServer()
    const [ann, bob] = await Promise.all([connectedClient(url, { auth: 'ann' }), connectedClient(url, { auth: 'bob' })])
    await bob.channel('user:bob').subscribe()
    const bobHeard = collect(bob.channel('user:bob'), 'spoof')
    await expect(ann.channel('user:bob').publishWithAck('spoof', 1)).rejects.toMatchObject({ code: ErrorCode.Forbidden })
    const error = once<RealtimeError>(ann.lifecycle, 'error')
    ann.channel('user:bob').publish('spoof', 2)
    expect((await error).code).toBe(ErrorCode.Forbidden)
    expect(bobHeard).toEqual([])
  })

  it('unsubscribe leaves the channel on the server', async () => {
    const { rt, url } = await guardedServer()
    const connected = once<Connection>(rt, 'connection')
    const client = await connectedClient(url, { auth: 'ann' })
    const conn = await connected
    await client.channel('public:a').subscribe()
    client.channel('public:a').unsubscribe()
    expect(client.channel('public:a').state).toBe('unsubscribed')
    const marker = once(client, 'marker')
    conn.emit('marker')
    await marker
    await new Promise((resolve) => setImmediate(resolve))
    expect(conn.rooms.has('public:a')).toBe(false)
  })
})
