import { ErrorCode, RealtimeClient, type RealtimeClientOptions, type RealtimeError } from '@org/realtime-client'
import { RealtimeServer, type RealtimeServerOptions } from '@org/realtime-server'
import { webSocketTransport, type WebSocketClientTransportOptions } from '@org/realtime-transport-ws/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { Connection } from '@org/realtime-server'
import { MAX_ROOMS_PER_CONNECTION, attachChat, chatOptions } from '../src/chat.js'
import type { ChatMessage, ChatUser, RoomState } from '../src/types.js'
import { collect, once, until } from '../../../test/support.js'

type Member = RealtimeClient & { room: string; joined: RoomState }

let rt: RealtimeServer<ChatUser>
let url: string
const clients: RealtimeClient[] = []

/** Starts the chat on a fresh server (closed after the test), with `options` on top of the chat's. */
async function startChat(options: Partial<RealtimeServerOptions<ChatUser>> = {}): Promise<void> {
  rt = new RealtimeServer<ChatUser>({ ...chatOptions, ...options })
  attachChat(rt)
  const port = await rt.listen(0, { host: '127.0.0.1' })
  url = `http://127.0.0.1:${port}/realtime`
}

beforeEach(() => startChat())

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect()
  await rt.close()
})

function createClient(name: unknown, options: RealtimeClientOptions = {}): RealtimeClient {
  const client = new RealtimeClient(url, { auth: { name }, ackTimeoutMs: 5000, ...options })
  clients.push(client)
  return client
}

/** A connected client called `name`, subscribed to `room`, with the room's state. */
async function member(name: string, room = 'general', options: RealtimeClientOptions = {}): Promise<Member> {
  const client = createClient(name, options)
  await once(client.lifecycle, 'connect')
  await client.channel(room).subscribe()
  const joined = (await client.emitWithAck('room-state', { roomId: room })) as RoomState
  return Object.assign(client, { room, joined })
}

/**
 * Resolves once every frame the server sent `client` so far has arrived: `room-state` broadcasts
 * nothing, and its ack comes after anything queued before it on the socket.
 */
async function drained(client: Member): Promise<void> {
  await client.emitWithAck('room-state', { roomId: client.room })
}

const send = (client: Member, text: unknown): Promise<unknown> => client.emitWithAck('send-message', { roomId: client.room, text })

/** The server's connection of the client whose session id is `id`. */
function connectionOf(client: RealtimeClient): Connection<ChatUser> {
  const conn = rt.connections.get(client.id as string)
  if (conn === undefined) throw new Error(`no connection ${client.id}`)
  return conn
}

function rejection(promise: Promise<unknown>): Promise<RealtimeError> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: RealtimeError) => error,
  )
}

describe('joining a room (subscribing to its channel)', () => {
  it('returns the room history and who is in the room', async () => {
    const alice = await member('alice')
    expect(alice.joined).toEqual({ room: 'general', history: [], members: ['alice'], away: [] })
    const first = (await send(alice, 'first')) as ChatMessage
    const second = (await send(alice, 'second')) as ChatMessage

    const bob = await member('bob')
    expect(bob.joined.history).toEqual([first, second])
    expect(bob.joined.members).toEqual(['alice', 'bob'])
  })

  it('keeps only the last 50 messages of a room', async () => {
    await rt.close()
    await startChat({ rateLimit: { eventCost: {} } }) // 55 messages at once: past the chat's rate limit
    const alice = await member('alice')
    await Promise.all(Array.from({ length: 55 }, (_, i) => send(alice, `message ${i}`)))
    const bob = await member('bob')
    expect(bob.joined.history.map((message) => message.text)).toEqual(Array.from({ length: 50 }, (_, i) => `message ${i + 5}`))
  })

  it('tells the others in the room, not the one joining', async () => {
    const alice = await member('alice')
    const bobJoined = once(alice.channel('general'), 'user-joined')
    const bob = createClient('bob')
    const heardByBob = collect(bob.channel('general'), 'user-joined')
    await once(bob.lifecycle, 'connect')
    await bob.channel('general').subscribe()
    await bob.emitWithAck('room-state', { roomId: 'general' }) // its ack follows any broadcast to bob
    expect(await bobJoined).toEqual({ name: 'bob' })
    expect(heardByBob).toEqual([])
  })

  it('tells the old room someone left and the new room they joined', async () => {
    const alice = await member('alice')
    const carol = await member('carol')
    const bob = await member('bob', 'random')
    const left = once(carol.channel('general'), 'user-left')
    const joined = once(bob.channel('random'), 'user-joined')
    alice.channel('general').unsubscribe()
    await alice.channel('random').subscribe()
    const moved = (await alice.emitWithAck('room-state', { roomId: 'random' })) as RoomState
    expect(moved.members).toEqual(['alice', 'bob'])
    expect(await left).toEqual({ name: 'alice' })
    expect(await joined).toEqual({ name: 'alice' })
  })
})

describe('messages', () => {
  it('delivers a message to everyone in the room, the sender included, and acks the stored message', async () => {
    const alice = await member('alice')
    const bob = await member('bob')
    const carol = await member('carol', 'random')
    const heardByCarol = collect(carol.channel('general'), 'new-message')
    const toAlice = once<ChatMessage>(alice.channel('general'), 'new-message')
    const toBob = once<ChatMessage>(bob.channel('general'), 'new-message')

    const stored = (await send(alice, '  hello bob  ')) as ChatMessage
    expect(stored).toEqual({ id: expect.any(String), name: 'alice', text: 'hello bob', at: expect.any(Number) })
    expect(await toAlice).toEqual(stored)
    expect(await toBob).toEqual(stored)
    await drained(carol)
    expect(heardByCarol).toEqual([])
  })

  it('rejects an invalid message with BAD_INPUT and stores nothing', async () => {
    const alice = await member('alice')
    for (const data of [{ roomId: 'general', text: '' }, { roomId: 'general', text: '   ' }, { roomId: 'general', text: 'x'.repeat(2001) }, { roomId: 'general', text: 42 }, { roomId: 'general' }, { text: 'hi' }, null, 'hello']) {
      const error = await rejection(alice.emitWithAck('send-message', data))
      expect(error.code, JSON.stringify(data)).toBe('BAD_INPUT')
    }
    await send(alice, 'x'.repeat(2000))
    const bob = await member('bob')
    expect(bob.joined.history.map((message) => message.text.length)).toEqual([2000])
  })

  it('refuses a message or a room-state for a room the connection is not in with FORBIDDEN', async () => {
    const alice = await member('alice', 'random')
    for (const request of [alice.emitWithAck('send-message', { roomId: 'general', text: 'hi' }), alice.emitWithAck('room-state', { roomId: 'general' })]) {
      const error = await rejection(request)
      expect(error.code).toBe(ErrorCode.Forbidden)
      expect(error.message).toBe('Subscribe to #general first')
    }
  })

  it('rejects an invalid room id with BAD_INPUT', async () => {
    const alice = createClient('alice')
    for (const roomId of ['', 'General', 'a b', '../etc', '-x', 'x'.repeat(33), 7, undefined]) {
      const error = await rejection(alice.emitWithAck('room-state', { roomId }))
      expect(error.code, String(roomId)).toBe('BAD_INPUT')
    }
  })
})

describe('typing', () => {
  it('reaches the others in the room but not the one typing', async () => {
    const alice = await member('alice')
    const bob = await member('bob')
    const heardByAlice = collect(alice.channel('general'), 'user-typing')
    const toBob = once(bob.channel('general'), 'user-typing')
    alice.emit('typing', { roomId: 'general' })
    expect(await toBob).toEqual({ name: 'alice' })
    await drained(alice)
    expect(heardByAlice).toEqual([])
  })
})

describe('leaving', () => {
  it('tells the room when someone disconnects', async () => {
    const alice = await member('alice')
    const bob = await member('bob')
    const left = once(alice.channel('general'), 'user-left')
    bob.disconnect()
    expect(await left).toEqual({ name: 'bob' })
    const carol = await member('carol')
    expect(carol.joined.members).toEqual(['alice', 'carol'])
  })
})

describe('presence per name', () => {
  it('announces a name that joins from two connections once, and its leaving only with its last connection', async () => {
    const bob = await member('bob')
    const joined = collect(bob.channel('general'), 'user-joined')
    const left = collect(bob.channel('general'), 'user-left')
    const firstTab = await member('alice')
    const secondTab = await member('alice')
    expect(secondTab.joined.members).toEqual(['alice', 'bob'])

    const firstGone = once(rt, 'disconnect')
    firstTab.disconnect()
    await firstGone
    await drained(bob)
    expect(joined).toEqual([{ name: 'alice' }])
    expect(left).toEqual([])
    expect((await member('carol')).joined.members).toEqual(['alice', 'bob', 'carol'])

    const lastLeft = once(bob.channel('general'), 'user-left')
    secondTab.disconnect()
    expect(await lastLeft).toEqual({ name: 'alice' })
    expect(left).toEqual([{ name: 'alice' }])
  })

  it('shows a member away as soon as its connection drops, in the room list too, and back when it resumes', async () => {
    const bob = await member('bob')
    // A fixed 1.5 s before alice's client tries again: she is away meanwhile.
    const alice = await member('alice', 'general', { reconnection: { initialDelayMs: 1500, jitter: 0 } })
    const away = once(bob.channel('general'), 'user-away')
    const back = once(bob.channel('general'), 'user-back')
    const heardByAlice = collect(alice.channel('general'), 'user-away')
    connectionOf(alice).terminate()
    expect(await away).toEqual({ name: 'alice' })

    const carol = await member('carol')
    expect(carol.joined).toMatchObject({ members: ['alice', 'bob', 'carol'], away: ['alice'] })
    expect(await back).toEqual({ name: 'alice' })
    expect((await alice.emitWithAck('room-state', { roomId: 'general' })) as RoomState).toMatchObject({ away: [] })
    expect(heardByAlice).toEqual([])
  })

  it('does not show a name away while another of its connections is still here', async () => {
    const bob = await member('bob')
    const away = collect(bob.channel('general'), 'user-away')
    const firstTab = await member('alice', 'general', { reconnection: false })
    await member('alice')
    const detached = once(rt, 'detached')
    connectionOf(firstTab).terminate()
    await detached
    await drained(bob)
    expect(away).toEqual([])
  })

  it('announces that an away member left when its session ends unresumed', async () => {
    await rt.close()
    await startChat({ recovery: { windowMs: 200 } })
    const bob = await member('bob')
    const events: string[] = []
    for (const event of ['user-away', 'user-back', 'user-left']) bob.channel('general').on(event, ({ name }: { name: string }) => events.push(`${event} ${name}`))
    const alice = await member('alice', 'general', { reconnection: false })
    const left = once(bob.channel('general'), 'user-left')
    connectionOf(alice).terminate()
    expect(await left).toEqual({ name: 'alice' })
    expect(events).toEqual(['user-away alice', 'user-left alice'])
    expect((await member('carol')).joined.members).toEqual(['bob', 'carol'])
  })
})

describe('limits', () => {
  /** A client of `name` whose connection comes from 127.0.0.2: another peer for the server. */
  function bystander(name: string): RealtimeClient {
    class BystanderWebSocket extends WebSocket {
      constructor(address: string) {
        super(address, { localAddress: '127.0.0.2' })
      }
    }
    return createClient(name, { transports: [webSocketTransport({ WebSocket: BystanderWebSocket as unknown as WebSocketClientTransportOptions['WebSocket'] })] })
  }

  /** Checks that `client`, in `general`, still sends and receives within a second. */
  async function expectServed(client: RealtimeClient, text: string): Promise<void> {
    const started = performance.now()
    const received = collect<ChatMessage>(client.channel('general'), 'new-message')
    await client.emitWithAck('send-message', { roomId: 'general', text })
    await until(() => received.some((message) => message.text === text), 1000, `"${text}" to come back`)
    expect(performance.now() - started).toBeLessThan(1000)
  }

  it(`refuses a room past ${MAX_ROOMS_PER_CONNECTION} at once with LIMIT_EXCEEDED, while a bystander is served`, async () => {
    const bob = bystander('bob')
    await bob.channel('general').subscribe()
    const alice = createClient('alice')
    for (let i = 0; i < MAX_ROOMS_PER_CONNECTION; i++) await alice.channel(`room-${i}`).subscribe()
    const error = await rejection(alice.channel('one-too-many').subscribe())
    expect(error.code).toBe(ErrorCode.LimitExceeded)
    await expectServed(bob, 'still here')
    // Leaving a room makes room for another.
    alice.channel('room-0').unsubscribe()
    await alice.channel('one-too-many').subscribe()
  })

  it('refuses messages past 10 at once with RATE_LIMITED, while a bystander is served', async () => {
    const bob = bystander('bob')
    await bob.channel('general').subscribe()
    const alice = await member('alice')
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => send(alice, `flood ${i}`)))
    const refused = results.flatMap((result) => (result.status === 'rejected' ? [(result.reason as RealtimeError).code] : []))
    // A burst of 100 units: the subscription and `room-state` took some, each message costs 10.
    expect(results.length - refused.length).toBeGreaterThanOrEqual(8)
    expect(refused.length).toBeGreaterThanOrEqual(5)
    expect(new Set(refused)).toEqual(new Set([ErrorCode.RateLimited]))
    await expectServed(bob, 'still here')
    expect(alice.connected).toBe(true)
  })
})

describe('connecting', () => {
  it.each([[''], ['   '], ['x'.repeat(33)], [undefined], [42]])(
    'refuses the name %j with UNAUTHORIZED, and the client does not retry',
    async (name) => {
      const client = createClient(name)
      const reconnecting = collect(client.lifecycle, 'reconnecting')
      const error = await once<RealtimeError>(client.lifecycle, 'error')
      expect(error.code).toBe(ErrorCode.Unauthorized)
      expect(error.message).toMatch(/name must be 1–32 characters/)
      expect(client.state).toBe('disconnected')
      expect(reconnecting).toEqual([])
      expect(rt.connections.size).toBe(0)
    },
  )

  it('trims the name', async () => {
    const alice = await member('  alice  ')
    expect(alice.joined.members).toEqual(['alice'])
  })

  it('refuses a channel whose name is not a room id with FORBIDDEN, and any publish', async () => {
    const alice = createClient('alice')
    for (const name of ['General', 'a b', '../etc', 'presence:general', 'x'.repeat(33)]) {
      const error = await rejection(alice.channel(name).subscribe())
      expect(error.code, name).toBe(ErrorCode.Forbidden)
    }
    await alice.channel('general').subscribe()
    const error = await rejection(alice.channel('general').publishWithAck('new-message', { id: 'x', name: 'bob', text: 'forged', at: 0 }))
    expect(error.code).toBe(ErrorCode.Forbidden)
  })
})
