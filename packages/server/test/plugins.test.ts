import { ErrorCode, RealtimeError } from '@org/realtime-core'
import { RealtimeServer, type Connection, type RealtimePlugin } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { collect, connectedClient, describeTransports, once, startServer, until } from '../../../test/support.js'

/** A plugin that writes down every hook call, in order, as `hook:room-or-channel:reason`. */
function recorder(calls: string[], name = 'recorder'): RealtimePlugin {
  return {
    name,
    setup: () => calls.push('setup'),
    onConnection: () => calls.push('onConnection'),
    onDetached: (_conn, info) => calls.push(`onDetached:${info.code}`),
    onResumed: () => calls.push('onResumed'),
    onDisconnect: (_conn, info) => calls.push(`onDisconnect:${info.code}`),
    onJoin: (_conn, room, reason) => calls.push(`onJoin:${room}:${reason}`),
    onLeave: (_conn, room, reason) => calls.push(`onLeave:${room}:${reason}`),
    beforeSubscribe: (_conn, channel) => void calls.push(`beforeSubscribe:${channel}`),
    afterSubscribe: (_conn, channel) => calls.push(`afterSubscribe:${channel}`),
    beforeUnsubscribe: (_conn, channel) => void calls.push(`beforeUnsubscribe:${channel}`),
    afterUnsubscribe: (_conn, channel) => calls.push(`afterUnsubscribe:${channel}`),
    beforeEvent: (event) => void calls.push(`beforeEvent:${event.event}`),
    onClose: () => void calls.push('onClose'),
  }
}

/** A logger that keeps what was logged at `error`. */
function errorLog(): { logger: { debug(): void; info(): void; warn(): void; error(message: string): void }; errors: string[] } {
  const errors: string[] = []
  return { errors, logger: { debug() {}, info() {}, warn() {}, error: (message: string) => errors.push(message) } }
}

describeTransports('plugin hooks', () => {
  it('calls every hook in order: connection, join, subscribe, event, unsubscribe, drop, resume, end, close', async () => {
    const calls: string[] = []
    const { rt, url } = await startServer({ authorize: () => true, plugins: [recorder(calls)] })
    rt.on('connection', (conn) => {
      calls.push('connection event')
      conn.join('lobby')
      conn.on('ping-me', () => 'pong')
    })
    const client = await connectedClient(url)
    await client.channel('news').subscribe()
    await client.emitWithAck('ping-me')
    client.channel('news').unsubscribe()
    const conn = rt.connections.get(client.id as string) as Connection
    await until(() => !conn.rooms.has('news'), 2000, 'the unsubscription')
    // A drop: the session waits, still in its rooms, and the client resumes it.
    const resumed = once(rt, 'resumed')
    conn.terminate()
    await resumed
    const ended = once(rt, 'disconnect')
    client.disconnect()
    await ended
    await rt.close()
    expect(calls).toEqual([
      'setup',
      'onConnection',
      'connection event',
      'onJoin:lobby:join',
      'beforeSubscribe:news',
      'onJoin:news:subscribe',
      'afterSubscribe:news',
      'beforeEvent:ping-me',
      'beforeUnsubscribe:news',
      'onLeave:news:unsubscribe',
      'afterUnsubscribe:news',
      'onDetached:1006',
      'onResumed',
      'onDisconnect:1000',
      'onLeave:lobby:disconnect',
      'onClose',
    ])
  })

  it('refuses only the subscription a beforeSubscribe hook refuses, with its code, and leaves no half-joined room', async () => {
    const { errors, logger } = errorLog()
    const picky: RealtimePlugin = {
      name: 'picky',
      beforeSubscribe: (_conn, channel) => {
        if (channel === 'secret') throw new RealtimeError('NOT_FOR_YOU', 'Not for you')
        if (channel === 'broken') throw new TypeError('plugin bug')
      },
    }
    const { rt, url } = await startServer({ authorize: () => true, plugins: [picky], logger })
    const client = await connectedClient(url)
    const [open, secret, broken] = await Promise.allSettled(['open', 'secret', 'broken'].map((name) => client.channel(name).subscribe()))
    expect(open?.status).toBe('fulfilled')
    expect(secret).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOR_YOU', message: 'Not for you' } })
    expect(broken).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.HandlerError } })
    expect(errors).toEqual(['plugin "picky" beforeSubscribe threw'])
    expect([...(rt.connections.get(client.id as string) as Connection).rooms]).toEqual(['open'])
    expect(await rt.in('secret').count()).toBe(0)
    expect(await rt.in('broken').count()).toBe(0)
  })

  it('lets beforeEvent refuse an event or replace its data, before the handler and event middleware', async () => {
    const { errors, logger } = errorLog()
    const filter: RealtimePlugin = {
      name: 'filter',
      beforeEvent: (event) => {
        if (event.event === 'shout') event.data = String(event.data).toLowerCase()
        if (event.event === 'forbidden') throw new RealtimeError(ErrorCode.Forbidden, 'No')
        if (event.event === 'buggy') throw new TypeError('plugin bug')
      },
    }
    const { rt, url } = await startServer({ plugins: [filter], logger })
    const seen: unknown[] = []
    rt.useEvent((event, next) => {
      seen.push(event.data)
      return next()
    })
    rt.on('connection', (conn) => {
      conn.on('shout', (text) => text)
      conn.on('forbidden', () => 'ran')
      conn.on('buggy', () => 'ran')
    })
    const client = await connectedClient(url)
    await expect(client.emitWithAck('shout', 'HELLO')).resolves.toBe('hello')
    await expect(client.emitWithAck('forbidden')).rejects.toMatchObject({ code: ErrorCode.Forbidden })
    await expect(client.emitWithAck('buggy')).rejects.toMatchObject({ code: ErrorCode.HandlerError })
    expect(seen).toEqual(['hello'])
    expect(errors).toEqual(['plugin "filter" beforeEvent threw'])
  })

  it('keeps a channel a beforeUnsubscribe hook refuses to let go', async () => {
    const pinned: RealtimePlugin = {
      name: 'pinned',
      beforeUnsubscribe: (_conn, channel) => {
        if (channel === 'pinned') throw new RealtimeError(ErrorCode.Forbidden, 'Pinned')
      },
    }
    const { rt, url } = await startServer({ authorize: () => true, plugins: [pinned] })
    const client = await connectedClient(url)
    await client.channel('pinned').subscribe()
    await client.channel('loose').subscribe()
    const conn = rt.connections.get(client.id as string) as Connection
    client.channel('pinned').unsubscribe()
    client.channel('loose').unsubscribe()
    await until(() => !conn.rooms.has('loose'), 2000, 'the loose channel to be left')
    // Asked in the same frame as the loose one, and refused.
    expect([...conn.rooms]).toEqual(['pinned'])
  })
})

describeTransports('room membership', () => {
  it('lists and counts the members of a room, keeps a dropped session in it as not connected, and removes it when the session ends', async () => {
    const { rt, url } = await startServer({ authenticate: ({ auth }) => ({ userId: (auth as { user: string }).user }) })
    rt.on('connection', (conn) => conn.join('room'))
    const joins = collect<Connection>(rt, 'join')
    const ada = await connectedClient(url, { auth: { user: 'ada' } })
    const bob = await connectedClient(url, { auth: { user: 'bob' } })
    await until(() => joins.length === 2, 2000, 'two joins')
    expect(await rt.in('room').count()).toBe(2)
    expect(await rt.in('room').members()).toEqual(
      expect.arrayContaining([
        { id: ada.id, data: { userId: 'ada' }, connected: true },
        { id: bob.id, data: { userId: 'bob' }, connected: true },
      ]),
    )
    // Bob closes on purpose: his session ends and he leaves.
    const leaves = collect<Connection>(rt, 'leave')
    bob.disconnect()
    await until(() => leaves.length === 1, 2000, "bob's leave")
    expect(await rt.in('room').count()).toBe(1)
    // Ada's transport drops: she is away at once, still a member, and no `leave` fires.
    const adaConn = rt.connections.get(ada.id as string) as Connection<{ userId: string }>
    const detached = once<Connection>(rt, 'detached')
    const resumed = once<Connection>(rt, 'resumed')
    adaConn.terminate()
    expect(await detached).toBe(adaConn)
    expect(await rt.in('room').members()).toEqual([{ id: ada.id, data: { userId: 'ada' }, connected: false }])
    expect(await resumed).toBe(adaConn)
    expect(await rt.in('room').members()).toEqual([{ id: ada.id, data: { userId: 'ada' }, connected: true }])
    expect(leaves).toHaveLength(1)
  })
})

describe('plugin namespaces', () => {
  it('authorizes a claimed namespace with the plugin, which composes with the app authorize', async () => {
    const presenceLike: RealtimePlugin = {
      name: 'presence-like',
      namespaces: ['presence:'],
      authorize: (conn, channel, action, app) => action === 'subscribe' && app(conn, channel.slice('presence:'.length), 'subscribe'),
    }
    const { url } = await startServer({ authorize: (_conn, channel) => channel === 'room:1', plugins: [presenceLike] })
    const client = await connectedClient(url)
    await expect(client.channel('presence:room:1').subscribe()).resolves.toBeDefined()
    await expect(client.channel('presence:room:2').subscribe()).rejects.toMatchObject({ code: ErrorCode.Forbidden })
    await expect(client.channel('room:1').subscribe()).resolves.toBeDefined()
    await expect(client.channel('room:2').subscribe()).rejects.toMatchObject({ code: ErrorCode.Forbidden })
  })

  it('refuses at startup two plugins that claim overlapping namespaces', () => {
    const plugin = (name: string, prefix: string): RealtimePlugin => ({ name, namespaces: [prefix] })
    expect(() => new RealtimeServer({ plugins: [plugin('a', 'doc:'), plugin('b', 'doc:x')] })).toThrowError('Plugins "a" and "b" both claim channels starting with "doc:"')
    expect(() => new RealtimeServer({ plugins: [plugin('a', 'doc:'), plugin('b', 'db:')] })).not.toThrow()
  })

  it('logs an observing hook that throws with the plugin name, and goes on', async () => {
    const { errors, logger } = errorLog()
    const clumsy: RealtimePlugin = {
      name: 'clumsy',
      onConnection: () => {
        throw new TypeError('oops')
      },
    }
    const { rt, url } = await startServer({ plugins: [clumsy], logger })
    const connected = once(rt, 'connection')
    await connectedClient(url)
    await connected
    expect(errors).toEqual(['plugin "clumsy" onConnection threw'])
  })
})
