import { ErrorCode } from '@org/realtime-core'
import type { RealtimeClient } from '@org/realtime-client'
import { webSocketTransport, type WebSocketClientTransportOptions } from '@org/realtime-transport-ws/client'
import { DocumentErrorCode } from '@org/realtime-ot'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { connectedClient, until } from '../../../test/support.js'
import { converged, openDoc, startDocServer } from './doc-support.js'

/** Connects from 127.0.0.2: another peer than the attacker on 127.0.0.1 for every per-address limit. */
class BystanderWebSocket extends WebSocket {
  constructor(url: string) {
    super(url, { localAddress: '127.0.0.2' })
  }
}
const bystanderOptions = { transports: [webSocketTransport({ WebSocket: BystanderWebSocket as unknown as WebSocketClientTransportOptions['WebSocket'] })] }

/** A bystander editing document `id`: its edit must still be confirmed while the attack goes on. */
async function bystanderKeepsWorking(url: string, id: string, docs: Parameters<typeof converged>[0]): Promise<void> {
  const { doc } = await openDoc(url, id, {}, await connectedClient(url, bystanderOptions))
  doc.insert(0, 'still here')
  await converged(docs, id, [doc], 10_000)
  expect(doc.text.includes('still here')).toBe(true)
}

const attempt = (client: RealtimeClient, event: string, data: unknown): Promise<unknown> =>
  client.emitWithAck(event, data).then(
    () => 'ok',
    (error: { code: string }) => error.code,
  )

describe('document limits', () => {
  it('refuses an op over maxOpSize, and a document past maxDocumentLength, while a bystander edits', async () => {
    const { url, docs } = await startDocServer({ maxOpSize: 1024, maxDocumentLength: 3000 }, { rateLimit: false })
    const attacker = await connectedClient(url)
    await attacker.channel('doc:big').subscribe()
    expect(await attempt(attacker, 'doc:submit', { d: 'big', v: 0, op: ['x'.repeat(2000)], c: 'a', s: 1 })).toBe(ErrorCode.PayloadTooLarge)
    let v = 0
    let refused = ''
    for (let s = 1; s <= 10 && refused === ''; s++) {
      const answer = await attempt(attacker, 'doc:submit', { d: 'big', v, op: v === 0 ? ['y'.repeat(900)] : [v * 900, 'y'.repeat(900)], c: 'a', s })
      if (answer === 'ok') v++
      else refused = answer as string
    }
    expect(refused).toBe(ErrorCode.PayloadTooLarge)
    expect((await docs.read('big')).text.length).toBeLessThanOrEqual(3000)
    await bystanderKeepsWorking(url, 'big', docs)
  })

  it('refuses documents past maxDocumentsPerConnection while a bystander opens one', async () => {
    const { url, docs } = await startDocServer({ maxDocumentsPerConnection: 3 }, { rateLimit: false })
    const attacker = await connectedClient(url)
    // The plugin learns the app's authorize from the first subscription to a document channel.
    await attacker.channel('doc:many-0').subscribe()
    const answers: unknown[] = []
    for (let i = 0; i < 6; i++) answers.push(await attempt(attacker, 'doc:open', { d: `many-${i}` }))
    expect(answers.slice(0, 3)).toEqual(['ok', 'ok', 'ok'])
    expect(answers.slice(3)).toEqual([ErrorCode.LimitExceeded, ErrorCode.LimitExceeded, ErrorCode.LimitExceeded])
    expect(docs.loaded).toBe(3)
    // Closing one frees its slot.
    attacker.emit('doc:close', { d: 'many-0' })
    await until(() => docs.loaded === 2, 5000, 'the document to unload')
    expect(await attempt(attacker, 'doc:open', { d: 'many-5' })).toBe('ok')
    await bystanderKeepsWorking(url, 'many-1', docs)
  })

  it('rate-limits document requests per connection while a bystander edits', async () => {
    const { url, docs } = await startDocServer({ requestsPerSecond: 5, requestBurst: 10 }, { rateLimit: false })
    const attacker = await connectedClient(url)
    await attacker.channel('doc:flood').subscribe()
    const answers = await Promise.all(Array.from({ length: 40 }, () => attempt(attacker, 'doc:open', { d: 'flood' })))
    expect(answers.filter((a) => a === 'ok').length).toBeLessThanOrEqual(12)
    expect(answers.filter((a) => a === ErrorCode.RateLimited).length).toBeGreaterThanOrEqual(28)
    await bystanderKeepsWorking(url, 'flood', docs)
  })

  it('answers a flood of doc:send with one refusal each, within the rate limit, while a bystander edits', async () => {
    const { url, docs } = await startDocServer({ requestsPerSecond: 5, requestBurst: 10, load: () => 'abc' }, { rateLimit: false })
    const attacker = await connectedClient(url)
    await attacker.channel('doc:sendflood').subscribe()
    const refusals: Array<{ s?: number; code: string; retryAfterMs?: number }> = []
    attacker.on('doc:refused', (message: { s?: number; code: string; retryAfterMs?: number }) => void refusals.push(message))
    // 40 ops that do not fit, then nothing: at most the burst is even looked at.
    for (let s = 1; s <= 40; s++) attacker.emit('doc:send', { d: 'sendflood', v: 0, op: [99, 'x'], c: 'attacker', s })
    await until(() => refusals.length === 40, 10_000, 'a refusal for each')
    const codes = refusals.map((refusal) => refusal.code)
    expect(codes.filter((code) => code === DocumentErrorCode.Conflict).length).toBeLessThanOrEqual(12)
    expect(codes.filter((code) => code === ErrorCode.RateLimited).length).toBeGreaterThanOrEqual(28)
    expect(refusals.find((refusal) => refusal.code === ErrorCode.RateLimited)?.retryAfterMs).toBeGreaterThan(0)
    expect(new Set(refusals.map((refusal) => refusal.s)).size).toBe(40)
    expect(await docs.read('sendflood')).toEqual({ text: 'abc', revision: 0 })
    await bystanderKeepsWorking(url, 'sendflood', docs)
  })

  it('bounds the submits waiting on one document while a bystander edits another', async () => {
    const { url, docs } = await startDocServer({ maxQueuedSubmits: 5, storage: undefined }, { rateLimit: false })
    const attacker = await connectedClient(url)
    await attacker.channel('doc:queue').subscribe()
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => attempt(attacker, 'doc:submit', { d: 'queue', v: 0, op: ['z'], c: `c${i}`, s: 1 })))
    expect(answers.filter((a) => a === 'ok').length).toBeGreaterThan(0)
    expect(answers.filter((a) => a === ErrorCode.RateLimited).length).toBeGreaterThan(0)
    expect((await docs.read('queue')).revision).toBe(answers.filter((a) => a === 'ok').length)
    await bystanderKeepsWorking(url, 'other', docs)
  })

  it('refuses a base revision from the future and an unknown document without changing anything', async () => {
    const { url, docs } = await startDocServer({ load: (id) => (id === 'known' ? 'k' : undefined) })
    const attacker = await connectedClient(url)
    await attacker.channel('doc:known').subscribe()
    expect(await attempt(attacker, 'doc:submit', { d: 'known', v: 1_000_000, op: ['x'], c: 'a', s: 1 })).toBe(ErrorCode.InvalidOffset)
    expect(await attempt(attacker, 'doc:open', { d: 'nope' })).toBe(DocumentErrorCode.NotFound)
    expect(await attempt(attacker, 'doc:cursor', { d: 'known', v: 0, sel: [0, 'x'] })).toBe(ErrorCode.BadFrame)
    expect(await docs.read('known')).toEqual({ text: 'k', revision: 0 })
    await bystanderKeepsWorking(url, 'known', docs)
  })
})
