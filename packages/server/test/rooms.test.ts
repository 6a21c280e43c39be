import type { RealtimeClient } from '@org/realtime-client'
import type { Connection, DisconnectInfo } from '@org/realtime-server'
import { expect, it, vi } from 'vitest'
import { collect, connectedClient, describeTransports, once, rawPeer, startServer, until } from '../../../test/support.js'

/** Starts a server and `count` clients, each of whose connections joins the rooms `roomsOf(index)`. */
async function setup(count: number, roomsOf: (index: number) => string[]) {
  const server = await startServer()
  const clients: RealtimeClient[] = []
  const conns: Connection[] = []
  for (let index = 0; index < count; index++) {
    const connected = once<Connection>(server.rt, 'connection')
    clients.push(await connectedClient(server.url))
    const conn = await connected
    for (const room of roomsOf(index)) conn.join(room)
    conns.push(conn)
  }
  return { ...server, clients, conns }
}

/** Sends a marker to everyone afterwards, so a test knows every earlier frame has arrived. */
async function flush(setupResult: Awaited<ReturnType<typeof setup>>): Promise<void> {
  const done = setupResult.clients.map((client) => once(client, 'flush'))
  setupResult.rt.emit('flush')
  await Promise.all(done)
}

describeTransports('rooms and broadcasts', () => {
  it('rt.to(room) reaches every member of the room once, on its channel, and no one else', async () => {
    const s = await setup(3, (i) => (i < 2 ? ['room:1'] : ['room:2']))
    const received = s.clients.map((client) => collect(client.channel('room:1'), 'news'))
    const elsewhere = [...s.clients.map((client) => collect(client, 'news')), collect(s.clients[2]!.channel('room:2'), 'news')]
    s.rt.to('room:1').emit('news', { n: 1 })
    await flush(s)
    expect(received).toEqual([[{ n: 1 }], [{ n: 1 }], []])
    expect(elsewhere).toEqual([[], [], [], []])
  })

  it('conn.to(room) reaches the room minus the sender', async () => {
    const s = await setup(3, () => ['lobby'])
    const received = s.clients.map((client) => collect(client.channel('lobby'), 'typing'))
    s.conns[0]!.to('lobby').emit('typing', 'a')
    await flush(s)
    expect(received).toEqual([[], ['a'], ['a']])
  })

  it('except leaves out a room and a connection id', async () => {
    const s = await setup(4, (i) => (i === 1 ? ['all', 'muted'] : ['all']))
    const received = s.clients.map((client) => collect(client.channel('all'), 'tick'))
    s.rt.to('all').except('muted').except(s.conns[2]!.id).emit('tick', 1)
    await flush(s)
    expect(received).toEqual([[1], [], [], [1]])
  })

  it('a broadcast to several rooms reaches a member of both once, on the first of them it is in', async () => {
    const s = await setup(3, (i) => [['a'], ['a', 'b'], ['b']][i]!)
    const received = s.clients.map((client) => {
      const heard: string[] = []
      for (const room of ['a', 'b']) client.channel(room).on('once', (data) => heard.push(`${room} ${String(data)}`))
      return heard
    })
    s.rt.to('a').to('b').emit('once', 'x')
    await flush(s)
    expect(received).toEqual([['a x'], ['a x'], ['b x']])
  })

  it('rt.emit reaches every connection; leave stops delivery', async () => {
    const s = await setup(2, () => ['r'])
    const all = s.clients.map((client) => collect(client, 'all'))
    const room = s.clients.map((client) => collect(client.channel('r'), 'room'))
    s.rt.emit('all', true)
    s.conns[1]!.leave('r')
    expect(s.conns[1]!.rooms.has('r')).toBe(false)
    s.rt.to('r').emit('room', true)
    await flush(s)
    expect(all).toEqual([[true], [true]])
    expect(room).toEqual([[true], []])
  })

  it('conn.emit reaches that client only', async () => {
    const s = await setup(2, () => [])
    const received = s.clients.map((client) => collect(client, 'direct'))
    s.conns[1]!.emit('direct', 'hi')
    await flush(s)
    expect(received).toEqual([[], ['hi']])
  })

  it('encodes a broadcast once, not once per recipient', async () => {
    const s = await setup(20, () => ['crowd'])
    const received = s.clients.map((client) => collect(client.channel('crowd'), 'crowd'))
    const stringify = vi.spyOn(JSON, 'stringify')
    const data = { big: 'x'.repeat(100) }
    try {
      s.rt.to('crowd').emit('crowd', data)
      // The data once; the room's and the event's names once for the room's frame.
      expect(stringify.mock.calls.filter(([value]) => value === data)).toHaveLength(1)
      expect(stringify.mock.calls.length).toBeLessThanOrEqual(3)
    } finally {
      stringify.mockRestore()
    }
    await until(() => received.every((list) => list.length === 1), 5000, 'every delivery')
  })

  it('a disconnected connection leaves its rooms, after its disconnect listeners saw them', async () => {
    const s = await setup(2, () => ['r'])
    const roomsAtDisconnect = new Promise<string[]>((resolve) => s.conns[0]!.on('disconnect', () => resolve([...s.conns[0]!.rooms])))
    const disconnected = new Promise<[Connection, DisconnectInfo]>((resolve) => {
      s.rt.once('disconnect', (conn, info) => resolve([conn, info]))
    })
    s.clients[0]!.disconnect()
    const [conn, info] = await disconnected
    expect(conn.connected).toBe(false)
    expect(conn.rooms.size).toBe(0)
    expect(await roomsAtDisconnect).toEqual(['r'])
    expect(info.code).toBe(1000)
  })

  it('sends events named like the client lifecycle (connect, error) as plain app events', async () => {
    const s = await setup(1, () => ['r'])
    const direct = collect(s.clients[0]!, 'connect')
    const inRoom = collect(s.clients[0]!.channel('r'), 'error')
    const lifecycleErrors = collect(s.clients[0]!.lifecycle, 'error')
    s.rt.emit('connect', 1)
    s.conns[0]!.emit('connect', 2)
    s.rt.to('r').emit('error', 3)
    await flush(s)
    expect(direct).toEqual([1, 2])
    expect(inRoom).toEqual([3])
    expect(lifecycleErrors).toEqual([])
  })

  it('sends channel broadcasts as compact channel events with their offsets, and broadcasts to all as event objects', async () => {
    const { rt, port } = await startServer()
    rt.on('connection', (conn) => conn.join('room'))
    const raw = await rawPeer(port)
    await raw.handshake()
    rt.to('room').emit('news', { n: 1 })
    rt.to('room').emit('tick')
    rt.emit('all', 2)
    await raw.next((frame) => frame.e === 'all')
    expect(raw.frames.slice(1)).toEqual([['room', 1, 'news', { n: 1 }], ['room', 2, 'tick'], { t: 'event', e: 'all', d: 2 }])
  })

  it('gives channel events offset 0 when the server keeps no history', async () => {
    const { rt, port } = await startServer({ recovery: false })
    rt.on('connection', (conn) => conn.join('room'))
    const raw = await rawPeer(port)
    await raw.handshake()
    rt.to('room').emit('news', null)
    expect(await raw.next(Array.isArray)).toEqual(['room', 0, 'news', null])
  })
})
