import type { ClientTransport } from '@org/realtime-core'
import { document, type ClientDocument } from '@org/realtime-ot/client'
import { memoryStorage, type DocumentStorage } from '@org/realtime-ot/server'
import { expect, it } from 'vitest'
import { FaultyTransport } from '../../../test/faulty-transport.js'
import { connectedClient, describeTransports, until } from '../../../test/support.js'
import { startDocServer } from './doc-support.js'

/**
 * Protocol fuzzer, on every transport: three clients edit one document at once through a real
 * server while connections drop at random (client-side closes the session resumes from, server
 * closes right after a commit and before its ack, in a resumable or in a new session), and the
 * storage sometimes holds a commit past the clients' ack timeout, so they resend. Every client
 * ends with the server's text, and every token inserted (and not deleted) is there exactly once.
 * Seeded: `OT_FUZZ_SEED=<n>` replays a fault schedule (the interleaving still depends on timing).
 */
const SEED = Number(process.env.OT_FUZZ_SEED ?? 20_250_612) >>> 0
const CLIENTS = 3
const EDITS = 60
const ACK_TIMEOUT_MS = 400

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Storage whose appends take a while, now and then longer than the clients' ack timeout. */
function slowStorage(random: () => number, counts: { slow: number }): DocumentStorage {
  const inner = memoryStorage()
  let appends = 0
  return {
    ...inner,
    async append(id, op) {
      appends++
      const slow = appends === 2 || appends === 7 || random() < 0.06
      if (slow) counts.slow++
      await sleep(slow ? ACK_TIMEOUT_MS + 300 : random() * 8)
      return inner.append(id, op)
    },
  }
}

/** Code points before the first `count` UTF-16 units of `text`. */
const codePoints = (text: string): number => [...text].length

describeTransports('documents protocol fuzzer', (transport) => {
  it('converges every client to the server text with every token once, through drops and late acks', { timeout: 120_000 }, async () => {
    const random = mulberry32(SEED ^ transport.name.length * 7919)
    const counts = { slow: 0, terminated: 0, ended: 0, closed: 0 }
    const { url, docs } = await startDocServer({
      snapshotEvery: 10,
      storage: slowStorage(random, counts),
      requestsPerSecond: 1000,
      requestBurst: 1000,
      onCommit: (_id, op, conn) => {
        const roll = random()
        // After the commit, before the ack: the session resumes (ack replayed) or ends (ack lost).
        const forced = op.v === 3 || op.v === 7 ? 'terminate' : op.v === 5 || op.v === 10 ? 'end' : undefined
        if (forced === 'terminate' || (forced === undefined && roll < 0.06)) {
          counts.terminated++
          conn.terminate()
        } else if (forced === 'end' || roll < 0.12) {
          counts.ended++
          conn.disconnect(4000, 'fuzz')
        }
      },
    })
    const faulty: FaultyTransport[] = []
    const editors: ClientDocument[] = []
    for (let k = 0; k < CLIENTS; k++) {
      const wrapped = new FaultyTransport(transport.client())
      faulty.push(wrapped)
      const client = await connectedClient(url, { transports: [wrapped as ClientTransport] })
      const doc = document(client, 'fuzz', { ackTimeoutMs: ACK_TIMEOUT_MS })
      await doc.ready
      editors.push(doc)
    }
    const inserted = new Set<string>()
    const deleted = new Set<string>()
    const edit = async (k: number): Promise<void> => {
      const doc = editors[k] as ClientDocument
      for (let i = 0; i < EDITS; i++) {
        await sleep(random() * 25)
        const text = doc.text
        const tokens = text.match(/\[[^\]]*\]/g) ?? []
        if (tokens.length > 3 && random() < 0.15) {
          // Delete a whole token.
          const token = tokens[Math.floor(random() * tokens.length)] as string
          const at = text.indexOf(token)
          doc.delete(codePoints(text.slice(0, at)), codePoints(token))
          deleted.add(token)
          continue
        }
        // Insert a token between two tokens (never inside one).
        const boundaries = [0]
        for (let at = text.indexOf(']'); at !== -1; at = text.indexOf(']', at + 1)) boundaries.push(codePoints(text.slice(0, at + 1)))
        const token = `[${k}.${i}${random() < 0.5 ? '😀' : 'é'}]`
        doc.insert(boundaries[Math.floor(random() * boundaries.length)] as number, token)
        inserted.add(token)
      }
    }
    const faults = (async () => {
      for (let round = 0; round < 25; round++) {
        await sleep(40 + random() * 80)
        if ((faulty[Math.floor(random() * CLIENTS)] as FaultyTransport).break('close')) counts.closed++
      }
    })()
    await Promise.all([...editors.map((_, k) => edit(k)), faults])

    await until(
      () => editors.every((doc) => doc.status === 'synchronized' && doc.online) && editors.every((doc) => doc.text === editors[0]?.text && doc.revision === editors[0]?.revision),
      60_000,
      `convergence (seed ${SEED}, ${transport.name})`,
    )
    const server = await docs.read('fuzz')
    expect(server.revision, `seed ${SEED}`).toBe(editors[0]?.revision)
    for (const doc of editors) expect(doc.text, `seed ${SEED}`).toBe(server.text)
    const found = server.text.match(/\[[^\]]*\]/g) ?? []
    expect(found.join(''), `seed ${SEED}: nothing but tokens`).toBe(server.text)
    const expected = [...inserted].filter((token) => !deleted.has(token)).sort()
    expect([...found].sort(), `seed ${SEED}: every token exactly once`).toEqual(expected)
    // The faults did happen.
    expect(counts.closed, `seed ${SEED} ${JSON.stringify(counts)} closed`).toBeGreaterThan(5)
    expect(counts.terminated, `seed ${SEED} ${JSON.stringify(counts)} terminated`).toBeGreaterThanOrEqual(2)
    expect(counts.ended, `seed ${SEED} ${JSON.stringify(counts)} ended`).toBeGreaterThanOrEqual(1)
    expect(counts.slow, `seed ${SEED} ${JSON.stringify(counts)} slow`).toBeGreaterThanOrEqual(2)
  })
})
