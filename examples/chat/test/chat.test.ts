import { ErrorCode, RealtimeClient, type RealtimeClientOptions, type RealtimeError } from '@org/realtime-client'
import { RealtimeServer, type RealtimeServerOptions } from '@org/realtime-server'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Connection } from '@org/realtime-server'
import { attachChat, chatOptions } from '../src/chat.js'
import type { ChatMessage, ChatUser, JoinResult } from '../src/types.js'
import { collect, once } from '../../../test/support.js'

type Member = RealtimeClient & { room: string; joined: JoinResult }

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

/** A connected client called `name` that has joined `room`. */
async function member(name: string, room = 'general', options: RealtimeClientOptions = {}): Promise<Member> {
  const client = createClient(name, options)
  await once(client.lifecycle, 'connect')
  const joined = (await client.emitWithAck('join-room', { roomId: room })) as JoinResult
  return Object.assign(client, { room, joined })
}

/**
 * Resolves once every frame the server sent `client` so far has arrived: re-joining the same room
 * broadcasts nothing, and its ack comes after anything queued before it on the socket.
 */
async function drained(client: Member): Promise<void> {
  await client.emitWithAck('join-room', { roomId: client.room })
}

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

describe('joining a room', () => {
  it('returns the room history and who is in the room', async () => {
    const alice = await member('alice')
    expect(alice.joined).toEqual({ room: 'general', history: [], members: ['alice'], away: [] })
    const first = (await alice.emitWithAck('send-message', { text: 'first' })) as ChatMessage
    const second = (await alice.emitWithAck('send-message', { text: 'second' })) as ChatMessage

    const bob = await member('bob')
    expect(bob.joined.history).toEqual([first, second])
    expect(bob.joined.members).toEqual(['alice', 'bob'])
  })

  it('keeps only the last 50 messages of a room', async () => {
    const alice = await member('alice')
    await Promise.all(Array.from({ length: 55 }, (_, i) => alice.emitWithAck('send-message', { text: `message ${i}` })))
    const bob = await member('bob')
    expect(bob.joined.history.map((message) => message.text)).toEqual(Array.from({ length: 50 }, (_, i) => `message ${i + 5}`))
  })

  it('tells the others in the room, not the one joining', async () => {
    const alice = await member('alice')
    const bobJoined = once(alice.channel('general'), 'user-joined')
    const bob = createClient('bob')
    const heardByBob = collect(bob.channel('general'), 'user-joined')
    await once(bob.lifecycle, 'connect')
    await bob.emitWithAck('join-room', { roomId: 'general' }) // its ack follows any broadcast to bob
    expect(await bobJoined).toEqual({ name: 'bob' })
    expect(heardByBob).toEqual([])
  })

  it('tells the old room someone left and the new room they joined', async () => {
    const alice = await member('alice')
    const carol = await member('carol')
    const bob = await member('bob', 'random')
    const left = once(carol.channel('general'), 'user-left')
    const joined = once(bob.channel('random'), 'user-joined')
    const moved = (await alice.emitWithAck('join-room', { roomId: 'random' })) as JoinResult
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

    const stored = (await alice.emitWithAck('send-message', { text: '  hello bob  ' })) as ChatMessage
    expect(stored).toEqual({ id: expect.any(String), name: 'alice', text: 'hello bob', at: expect.any(Number) })
    expect(await toAlice).toEqual(stored)
    expect(await toBob).toEqual(stored)
    await drained(carol)
    expect(heardByCarol).toEqual([])
  })

  it('rejects an invalid message with BAD_INPUT and stores nothing', async () => {
    const alice = await member('alice')
    for (const data of [{ text: '' }, { text: '   ' }, { text: 'x'.repeat(2001) }, { text: 42 }, {}, null, 'hello']) {
      const error = await rejection(alice.emitWithAck('send-message', data))
      expect(error.code, JSON.stringify(data)).toBe('BAD_INPUT')
    }
    await alice.emitWithAck('send-message', { text: 'x'.repeat(2000) })
    const bob = await member('bob')
    expect(bob.joined.history.map((message) => message.text.length)).toEqual([2000])
  })

  it('rejects a message sent before joining a room with BAD_INPUT', async () => {
    const alice = createClient('alice')
    const error = await rejection(alice.emitWithAck('send-message', { text: 'hi' }))
    expect(error.code).toBe('BAD_INPUT')
    expect(error.message).toBe('Join a room first')
  })

  it('rejects an invalid room id with BAD_INPUT', async () => {
    const alice = createClient('alice')
    for (const roomId of ['', 'General', 'a b', '../etc', '-x', 'x'.repeat(33), 7, undefined]) {
      const error = await rejection(alice.emitWithAck('join-room', { roomId }))
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
    alice.emit('typing')
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
    expect((await alice.emitWithAck('join-room', { roomId: 'general' })) as JoinResult).toMatchObject({ away: [] })
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

  it('does not let a client subscribe to a room directly, around join-room', async () => {
    const alice = createClient('alice')
    const error = await rejection(alice.channel('general').subscribe())
    expect(error.code).toBe(ErrorCode.Forbidden)
  })
})
