import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RealtimeClient } from '@org/realtime-client'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { startChatServer, type ChatServer } from '../src/chat-server.js'
import { HistoryFile } from '../src/history-file.js'
import { RoomHistory } from '../src/history.js'
import type { ChatMessage, RoomState } from '../src/types.js'
import { isStoredMessage } from '../src/validate.js'
import { once } from '../../../test/support.js'

let dir: string
let file: string
let server: ChatServer | undefined
const clients: RealtimeClient[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chat-history-test-'))
  file = join(dir, 'history.json')
})

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect()
  await server?.close()
  server = undefined
  await rm(dir, { recursive: true, force: true })
})

async function joined(name: string, room = 'general'): Promise<RealtimeClient & { joined: RoomState }> {
  const client = new RealtimeClient(new URL('/realtime', server!.url).href, { auth: { name } })
  clients.push(client)
  await once(client.lifecycle, 'connect')
  await client.channel(room).subscribe()
  return Object.assign(client, { joined: (await client.emitWithAck('room-state', { roomId: room })) as RoomState })
}

const message = (text: string, at = 1): ChatMessage => ({ id: `id-${text}`, name: 'alice', text, at })

it('keeps the conversation across a restart of the chat server', async () => {
  server = await startChatServer({ port: 0, webDir: false, historyFile: file })
  const alice = await joined('alice')
  const said = [(await alice.emitWithAck('send-message', { roomId: 'general', text: 'before the restart' })) as ChatMessage]
  said.push((await alice.emitWithAck('send-message', { roomId: 'general', text: 'and again' })) as ChatMessage)
  alice.disconnect()
  await server.close()

  server = await startChatServer({ port: 0, webDir: false, historyFile: file })
  const bob = await joined('bob')
  expect(bob.joined.history).toEqual(said)
  expect((await joined('carol', 'random')).joined.history).toEqual([])
})

it('has a message in the file by the time it is acknowledged, long before the write delay', async () => {
  server = await startChatServer({ port: 0, webDir: false, historyFile: file })
  const alice = await joined('alice')
  const sent = (await alice.emitWithAck('send-message', { roomId: 'general', text: 'kept at once' })) as ChatMessage
  // Read while the server runs: a crash now would leave this file.
  expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ general: [sent] })
  const burst = (await Promise.all(Array.from({ length: 8 }, (_, i) => alice.emitWithAck('send-message', { roomId: 'general', text: `burst ${i}` })))) as ChatMessage[]
  expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ general: [sent, ...burst] })
})

it('starts empty from a file that is not JSON, and replaces it at the next message', async () => {
  await writeFile(file, '{"general": [')
  const errors: unknown[] = []
  server = await startChatServer({ port: 0, webDir: false, historyFile: file, logger: { debug() {}, info() {}, warn: (_message, fields) => errors.push(fields), error() {} } })
  const alice = await joined('alice')
  expect(alice.joined.history).toEqual([])
  expect(errors).toHaveLength(1)
  const sent = (await alice.emitWithAck('send-message', { roomId: 'general', text: 'fresh' })) as ChatMessage
  await server.close()
  server = undefined
  expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ general: [sent] })
})

it('restores only well-formed messages, at most perRoom of each room and the latest rooms', () => {
  const history = new RoomHistory<ChatMessage>({ perRoom: 2, rooms: 2 })
  history.restore(
    {
      old: [message('o')],
      general: [message('1'), message('2'), { ...message('extra'), html: '<b>' }, message('3'), { ...message('x'), text: 'x'.repeat(2001) }, 'text', null],
      random: 'not a list',
      help: [message('h', Number.NaN), message('h2')],
    },
    isStoredMessage,
  )
  expect(history.get('old')).toEqual([])
  expect(history.get('general')).toEqual([message('2'), message('3')])
  expect(history.get('help')).toEqual([message('h2')])
  for (const saved of [null, [], 'x', 42]) expect(() => new RoomHistory().restore(saved, isStoredMessage)).not.toThrow()
})

it('writes what is pending at flush(), within the bounds, and reads nothing from a missing file', async () => {
  const history: RoomHistory<ChatMessage> = new RoomHistory({ perRoom: 3, rooms: 2, onChange: () => saved.save(() => history) })
  const saved = new HistoryFile(file, { delayMs: 60_000 })
  for (let i = 0; i < 5; i++) history.add('general', message(String(i)))
  history.add('random', message('r'))
  history.add('help', message('h'))
  await saved.flush()
  expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ random: [message('r')], help: [message('h')] })
  await expect(new HistoryFile(join(dir, 'missing.json')).load()).resolves.toBeUndefined()
})

it('ignores a file over maxBytes', async () => {
  await writeFile(file, JSON.stringify({ general: [message('big')] }))
  const errors: unknown[] = []
  await expect(new HistoryFile(file, { maxBytes: 10, onError: (error) => errors.push(error) }).load()).resolves.toBeUndefined()
  expect(errors).toHaveLength(1)
  await expect(new HistoryFile(file).load()).resolves.toEqual({ general: [message('big')] })
})
