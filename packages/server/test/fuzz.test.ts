import { isUtf8 } from 'node:buffer'
import * as fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ErrorCode, MAX_NAME_LENGTH, RealtimeError, decodeClientFrame, isErrorCode } from '@org/realtime-core'
import type { RealtimeClient } from '@org/realtime-client'
import { raw, render, specExamples, str, toNode, type Node } from '../../../test/fuzz-frames.js'
import { RawHttpPeer } from '../../../test/raw-http-peer.js'
import { RawSocket, connectedClient, describeTransports, rawPeer, startServer, type RawPeer, type TransportCase } from '../../../test/support.js'

/*
 * A live server on every transport, fed random and mutated frames by a raw peer past its
 * handshake, while a well-behaved client keeps making echo round trips on the same server.
 *
 * FUZZ_RUNS is the number of runs of each decoder property (packages/core/test/fuzz.test.ts);
 * this file makes a tenth of it per transport, each run being a network round trip. FUZZ_SEED
 * (and FUZZ_PATH) replay the seed (and path) fast-check prints with a counterexample.
 */

const runs = process.env.FUZZ_RUNS === undefined ? 100 : Math.max(1, Math.ceil(Number(process.env.FUZZ_RUNS) / 10))
const budgetMs = Math.max(10_000, runs * 40)
const replay = {
  ...(process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) }),
  ...(process.env.FUZZ_PATH === undefined ? {} : { path: process.env.FUZZ_PATH }),
}
/** A small maxPayload, so oversized messages are cheap. */
const MAX_PAYLOAD = 16 * 1024
/**
 * Largest POST body sent to the HTTP transports: well past maxPayload, so bodies the server refuses
 * before reading them whole (and then closes their connection) are exercised.
 */
const HTTP_BODY_CAP = 8 * MAX_PAYLOAD
/** A raw peer is replaced after this many runs, so what it accumulates stays small. */
const RUNS_PER_PEER = 200
const WAIT_MS = 5000

// ---------------------------------------------------------------------------------------------
// Inputs: the generators of packages/core/test/fuzz.test.ts, reduced to what the wire needs.

const pollution = (key: string): Node => ({ obj: [[key, { obj: [['polluted', raw('true')]] }]] })

const fieldNames = ['t', 'v', 'auth', 'e', 'd', 'id', 'ch', 'err', 'code', 'message', 'retryAfterMs', 'expiresAt']
const pollutionKeys = ['__proto__', 'constructor', 'prototype']
/** Event and channel names the server below treats specially. */
const names = ['echo', 'boom', 'reject', 'room:lobby', 'room:vip', 'boom:channel', 'connect', 'error', '__proto__', 'constructor']

const nastyValues: Node[] = [
  ...['1e308', '-1e308', '1e400', '-0', '1.0', '1.5', '-1', '0', '1', '9007199254740991', '9007199254740993', '1e-400'].map(raw),
  ...['NaN', 'Infinity', '-0', '1', '', 'null'].map(str),
  ...['true', 'false', 'null', '[]', '{}', '[null]', '[1]'].map(raw),
  ...names.map(str),
  { arr: names.map(str) },
  str('x'.repeat(MAX_NAME_LENGTH)),
  str('x'.repeat(MAX_NAME_LENGTH + 1)),
  str('👋'.repeat(MAX_NAME_LENGTH / 2 + 1)),
  raw('"\\ud800"'),
  raw('"a\ud800b"'),
  { arr: Array.from({ length: 101 }, (_, i) => str(`c${i}`)) },
  { obj: [['code', str('BAD_FRAME')], ['message', str('m')]] },
  ...pollutionKeys.map(pollution),
  { obj: [['constructor', pollution('prototype')]] },
]

const typeArb = fc.oneof(fc.constantFrom('hello', 'auth', 'welcome', 'ping', 'pong', 'event', 'pub', 'ack', 'sub', 'unsub', 'error'), fc.string())
const keyArb = fc.oneof(fc.constantFrom(...fieldNames), fc.constantFrom(...pollutionKeys), fc.string({ maxLength: 8 }))
/** Any code unit, lone surrogates included. */
const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit))

const { node: nodeArb } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    fc.constantFrom(...nastyValues),
    fc.jsonValue({ maxDepth: 2 }).map(toNode),
    fc.string({ unit: utf16Unit, maxLength: 12 }).map(str),
    fc
      .record({ depth: fc.integer({ min: 1, max: 6000 }), open: fc.constantFrom('[', '{"__proto__":') })
      .map(({ depth, open }) => raw(open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth))),
    fc.array(tie('node'), { maxLength: 4 }).map((arr): Node => ({ arr })),
    fc.array(fc.tuple(keyArb, tie('node')), { maxLength: 4 }).map((obj): Node => ({ obj })),
  ),
}))

type Mutation =
  | { op: 'drop'; at: number }
  | { op: 'set'; key: string; value: Node }
  | { op: 'add'; key: string; value: Node }
  | { op: 'type'; t: string }

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('set' as const), key: fc.constantFrom(...fieldNames), value: nodeArb }),
  fc.record({ op: fc.constant('add' as const), key: keyArb, value: nodeArb }),
  fc.record({ op: fc.constant('type' as const), t: typeArb }),
)

function mutate(frame: Node, mutation: Mutation): Node {
  if (!('obj' in frame)) return frame
  const fields = [...frame.obj]
  if (mutation.op === 'drop') {
    if (fields.length > 0) fields.splice(mutation.at % fields.length, 1)
    return { obj: fields }
  }
  if (mutation.op === 'add') return { obj: [...fields, [mutation.key, mutation.value]] }
  const [key, value] = mutation.op === 'type' ? ['t', str(mutation.t)] : [mutation.key, mutation.value]
  const at = fields.findIndex(([name]) => name === key)
  if (at === -1) fields.push([key, value])
  else fields[at] = [key, value]
  return { obj: fields }
}

const exampleArb = fc.constantFrom(...specExamples())
const mutatedArb = fc
  .tuple(exampleArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
  .map(([example, mutations]) => render(mutations.reduce(mutate, toNode(JSON.parse(example)))))
const frameTextArb = fc.oneof(exampleArb, mutatedArb)

/** Text frames: mutated, truncated, with lone surrogates, random JSON, random text. */
const textArb = fc.oneof(
  { arbitrary: mutatedArb, weight: 6 },
  { arbitrary: exampleArb, weight: 1 },
  { arbitrary: fc.tuple(frameTextArb, fc.nat()).map(([text, cut]) => text.slice(0, cut % Math.max(1, text.length))), weight: 1 },
  {
    arbitrary: fc
      .tuple(frameTextArb, fc.nat(), fc.integer({ min: 0xd800, max: 0xdfff }))
      .map(([text, at, unit]) => text.slice(0, at % (text.length + 1)) + String.fromCharCode(unit) + text.slice(at % (text.length + 1))),
    weight: 1,
  },
  { arbitrary: fc.json({ depthSize: 'medium', maxDepth: 10 }), weight: 1 },
  { arbitrary: fc.string({ unit: utf16Unit, maxLength: 64 }), weight: 1 },
)

/** What one run sends. `bytes` is a text message of raw bytes (WebSocket) or a raw POST body (HTTP). */
type Input = { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Uint8Array } | { kind: 'binary'; bytes: Uint8Array }

/** A frame padded to `target` bytes of UTF-8 with one-, two- or four-byte characters: around and past maxPayload. */
const sizedArb = fc
  .record({
    target: fc.oneof(fc.integer({ min: MAX_PAYLOAD - 2, max: MAX_PAYLOAD + 2 }), fc.integer({ min: MAX_PAYLOAD, max: 8 * MAX_PAYLOAD })),
    fill: fc.constantFrom('x', 'é', '👋'),
  })
  .map(({ target, fill }) => {
    const [head, tail] = ['{"t":"event","e":"echo","d":"', '"}']
    const count = Math.max(0, Math.floor((target - Buffer.byteLength(head + tail)) / Buffer.byteLength(fill)))
    const text = head + fill.repeat(count) + tail
    return text + ' '.repeat(Math.max(0, target - Buffer.byteLength(text)))
  })

/** UTF-8 of a frame with one byte replaced: mostly invalid UTF-8. */
const corruptedArb = fc.tuple(frameTextArb, fc.nat(), fc.integer({ min: 0x80, max: 0xff })).map(([text, at, byte]) => {
  const bytes = Buffer.from(text)
  bytes[at % bytes.length] = byte
  return new Uint8Array(bytes)
})

const inputArb: fc.Arbitrary<Input> = fc.oneof(
  { arbitrary: textArb.map((text): Input => ({ kind: 'text', text })), weight: 12 },
  { arbitrary: sizedArb.map((text): Input => ({ kind: 'text', text })), weight: 1 },
  { arbitrary: fc.oneof(corruptedArb, fc.uint8Array({ maxLength: 64 })).map((bytes): Input => ({ kind: 'bytes', bytes })), weight: 2 },
  { arbitrary: fc.oneof(fc.uint8Array({ maxLength: 64 }), frameTextArb.map((text) => new Uint8Array(Buffer.from(text)))).map((bytes): Input => ({ kind: 'binary', bytes })), weight: 1 },
)

// ---------------------------------------------------------------------------------------------
// What the server must answer

/** What a run expects: the close of the peer, or the messages the server decodes and the HTTP status. */
interface Expected {
  close?: number
  status?: number
  lines: string[]
}

function expectationFor(transport: TransportCase['name'], input: Input): Expected {
  const bytes = input.kind === 'text' ? Buffer.from(input.text) : Buffer.from(input.bytes)
  if (transport === 'websocket') {
    // One message is one frame; ws closes 1003 for binary, 1007 for invalid UTF-8, 1009 past maxPayload.
    if (bytes.length > MAX_PAYLOAD) return { close: 1009, lines: [] }
    if (input.kind === 'binary') return { close: 1003, lines: [] }
    if (!isUtf8(bytes)) return { close: 1007, lines: [] }
    return { lines: [bytes.toString('utf8')] }
  }
  // A POST body is frames, one per line; 413 and a 1009 close past maxPayload, 400 if not UTF-8.
  if (bytes.length > MAX_PAYLOAD) return { close: 1009, status: 413, lines: [] }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return { status: 400, lines: [] }
  }
  return { status: 204, lines: text.split('\n').filter((line) => line.length > 0) }
}

/** The `error` frames the server sends at once for `lines`: the decoder's verdicts and a second `hello`. */
function decodeErrors(lines: readonly string[]): Array<{ code: string; message: string }> {
  return lines.flatMap((line) => {
    try {
      const frame = decodeClientFrame(line)
      return frame.t === 'hello' ? [{ code: ErrorCode.BadFrame, message: 'Malformed frame: the handshake is already done' }] : []
    } catch (error) {
      const { code, message } = error as RealtimeError
      return [{ code, message }]
    }
  })
}

/** A code from ErrorCode and a message without a stack trace, a path of this machine, or a secret the handlers hold. */
function assertSafeError(error: { code: unknown; message: unknown }, sent: string): void {
  expect(isErrorCode(error.code), `error code ${String(error.code)}`).toBe(true)
  expect(typeof error.message).toBe('string')
  const message = error.message as string
  expect(message).not.toContain('SECRET')
  expect(message).not.toContain(process.cwd())
  // A message may quote the input (an event or channel name): only what was not sent counts.
  for (const [leak] of message.matchAll(/\bat (?:\/|[A-Za-z]:\\|file:|node:)\S*|node:[a-z_/]+|\n\s+at /g)) expect(sent).toContain(leak)
}

function assertSafeFrames(frames: readonly any[], sent: string): void {
  for (const frame of frames) {
    if (frame.t === 'error') assertSafeError(frame, sent)
    if (frame.t === 'ack' && frame.err !== undefined) assertSafeError(frame.err, sent)
  }
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)))])
  } finally {
    clearTimeout(timer)
  }
}

// ---------------------------------------------------------------------------------------------
// The live server

const unhandled: unknown[] = []
const record = (error: unknown): void => {
  unhandled.push(error)
}

beforeAll(() => {
  process.on('unhandledRejection', record)
  process.on('uncaughtException', record)
})

afterAll(() => {
  process.off('unhandledRejection', record)
  process.off('uncaughtException', record)
})

/** A server whose handlers and `authorize` take every path: answers, throws of both kinds, refusals. */
async function fuzzServer() {
  const server = await startServer({
    maxPayload: MAX_PAYLOAD,
    // The limits stay on (their accounting sees every fuzzed frame) but never refuse: the raw
    // peer reconnects often and the bystander echoes flat out. Limits have their own tests.
    rateLimit: {
      messagesPerSecond: 1e6,
      burst: 1e6,
      bytesPerSecond: 1e9,
      bytesBurst: 1e9,
      handshakesPerSecondPerIp: 1e6,
      handshakeBurstPerIp: 1e6,
    },
    authorize: (_conn, channel) => {
      if (channel.startsWith('boom')) throw new Error(`SECRET of authorize for ${channel}`)
      return channel !== 'room:vip'
    },
  })
  server.rt.on('connection', (conn) => {
    conn.on('echo', (data) => data)
    conn.on('boom', () => {
      throw new Error('SECRET of the handler')
    })
    conn.on('reject', async () => {
      throw new RealtimeError(ErrorCode.Forbidden, 'Not for you')
    })
  })
  return server
}

/** Makes echo round trips with `client` until `stop()` or a bound; every one must come back. */
async function keepEchoing(client: RealtimeClient, stop: () => boolean, deadline: number): Promise<{ count: number; failures: string[] }> {
  const failures: string[] = []
  let count = 0
  for (let n = 0; n < 100_000 && !stop() && Date.now() < deadline; n++) {
    try {
      const answer = await client.emitWithAck('echo', n, { timeoutMs: WAIT_MS })
      if (answer !== n) failures.push(`echo ${n} answered ${JSON.stringify(answer)}`)
    } catch (error) {
      failures.push(`echo ${n} failed: ${String(error)}`)
    }
    count++
  }
  return { count, failures }
}

describeTransports('fuzzing a live server', (transport) => {
  it(
    'answers every malformed frame with a safe error frame, never crashes, and keeps serving a well-behaved client',
    async () => {
      const { port, url } = await fuzzServer()
      const bystander = await connectedClient(url)
      const bystanderErrors: unknown[] = []
      bystander.lifecycle.on('error', (error) => bystanderErrors.push(error))
      await bystander.channel('room:lobby').subscribe()

      let peer: RawPeer | undefined
      let peerClosed = false
      let peerRuns = 0
      let opened = 0
      let sentinel = 2 ** 52
      const openPeer = async (): Promise<RawPeer> => {
        if (peer !== undefined && !peerClosed && peerRuns < RUNS_PER_PEER) return peer
        if (peer !== undefined && !peerClosed) await retire(peer)
        expect(++opened, 'raw peers opened').toBeLessThanOrEqual(runs * 4 + 10)
        const fresh = await rawPeer(port)
        peer = fresh
        peerClosed = false
        peerRuns = 0
        void fresh.closed.then(() => {
          if (peer === fresh) peerClosed = true
        })
        await fresh.handshake()
        return fresh
      }

      let stopped = false
      const echoing = keepEchoing(bystander, () => stopped, Date.now() + budgetMs + 5000)

      const recent: string[] = []
      const sendAndCheck = async (input: Input): Promise<void> => {
        recent.push(describeInput(input))
        if (recent.length > 4) recent.shift()
        try {
          await check(input)
        } catch (error) {
          const frames = peer === undefined ? [] : peer.frames.slice(-5).map((frame) => JSON.stringify(frame).slice(0, 300))
          throw new Error(`${String(error)}\n  inputs, latest last:\n    ${recent.join('\n    ')}\n  last frames received:\n    ${frames.join('\n    ')}`, { cause: error })
        }
      }

      const check = async (input: Input): Promise<void> => {
        const raw = await openPeer()
        peerRuns++
        const expected = expectationFor(transport.name, input)
        const sent = input.kind === 'text' ? input.text : Buffer.from(input.bytes).toString('latin1')
        const start = raw.frames.length

        const status = await send(raw, input)
        if (expected.status !== undefined) expect(status?.status).toBe(expected.status)
        if (status?.body !== undefined) assertSafeError(status.body, sent)

        if (expected.close !== undefined) {
          expect((await within(raw.closed, WAIT_MS, `close ${expected.close}`)).code).toBe(expected.close)
          assertSafeFrames(raw.frames.slice(start), sent)
          return
        }
        // A well-formed echo after the input: its answer proves every earlier line was handled.
        const id = ++sentinel
        const answered = send(raw, { kind: 'text', text: JSON.stringify({ t: 'event', e: 'echo', d: `sentinel ${id}`, id }) })
        const ack = await raw.next((frame) => frame.t === 'ack' && frame.id === id, WAIT_MS)
        expect((await answered)?.status ?? 204).toBe(204)
        expect(ack).toEqual({ t: 'ack', id, d: `sentinel ${id}` })
        const frames = raw.frames.slice(start, raw.frames.indexOf(ack))
        assertSafeFrames(frames, sent)
        const decodeFailures = frames.filter((frame) => frame.t === 'error' && (frame.code === ErrorCode.BadFrame || frame.code === ErrorCode.UnknownFrame))
        expect(decodeFailures.map(({ code, message }) => ({ code, message }))).toEqual(decodeErrors(expected.lines))
      }

      try {
        await fc.assert(
          fc.asyncProperty(
            inputArb.map((input) => printable(forTransport(transport.name, input))),
            sendAndCheck,
          ),
          { numRuns: runs, ...replay, plugins: [fc.interruptAfterTimeLimit(budgetMs)] },
        )
      } finally {
        stopped = true
      }
      const echoes = await echoing
      expect(echoes.failures).toEqual([])
      expect(echoes.count).toBeGreaterThan(0)
      expect(bystanderErrors).toEqual([])
      expect(unhandled).toEqual([])
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined()

      // The server still takes new clients.
      const late = await connectedClient(url)
      await expect(late.emitWithAck('echo', 'still serving')).resolves.toBe('still serving')
    },
    budgetMs + 20_000,
  )
})

/** A short, printable summary of `input`. */
function describeInput(input: Input): string {
  const text = input.kind === 'text' ? JSON.stringify(input.text) : `<${Buffer.from(input.bytes).toString('hex')}>`
  const size = input.kind === 'text' ? Buffer.byteLength(input.text) : input.bytes.length
  return `${input.kind} (${size} bytes) ${text.length > 300 ? `${text.slice(0, 200)}…${text.slice(-60)}` : text}`
}

/** `input`, printed by fast-check as {@link describeInput} says (replay the seed and path for the exact value). */
function printable(input: Input): Input {
  return Object.assign(input, { [fc.toStringMethod]: () => describeInput(input) })
}

/** Sends `input`; for an HTTP peer, resolves with the POST's status and error body, if any. */
async function send(peer: RawPeer, input: Input): Promise<{ status: number; body?: { code: unknown; message: unknown } } | undefined> {
  if (peer instanceof RawSocket) {
    if (input.kind === 'text') peer.ws.send(input.text)
    else peer.ws.send(input.bytes, { binary: input.kind === 'binary' })
    return undefined
  }
  const http = peer as RawHttpPeer
  const response = input.kind === 'text' ? await http.send(input.text) : await http.post(new Uint8Array(input.bytes))
  if (response.status === 204) return { status: response.status }
  return { status: response.status, body: (await response.json()) as { code: unknown; message: unknown } }
}

/** Retires a healthy raw peer: WebSocket close, or DELETE of the HTTP session. */
async function retire(peer: RawPeer): Promise<void> {
  if (peer instanceof RawSocket) peer.ws.close()
  else await (await (peer as RawHttpPeer).delete()).body?.cancel()
  await within(peer.closed, WAIT_MS, 'the retired peer to close')
}

/**
 * Fits `input` to what the raw peers of `transport` can send and read back: HTTP bodies up to
 * {@link HTTP_BODY_CAP} (cut to it, which keeps them over maxPayload).
 */
function forTransport(transport: TransportCase['name'], input: Input): Input {
  if (transport === 'websocket') return input
  const bytes = input.kind === 'text' ? Buffer.from(input.text) : input.bytes
  return bytes.length <= HTTP_BODY_CAP ? input : { kind: 'bytes', bytes: new Uint8Array(bytes.subarray(0, HTTP_BODY_CAP)) }
}
