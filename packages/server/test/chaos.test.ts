import { ErrorCode, type ClientSocket, type ClientTransport, type RealtimeError } from '@org/realtime-core'
import type { RealtimeClient } from '@org/realtime-client'
import type { Connection } from '@org/realtime-server'
import { expect, it } from 'vitest'
import { FaultyTransport } from '../../../test/faulty-transport.js'
import type { Adapter } from '@org/realtime-server'
import { slowHistoryAdapter } from '../../../test/slow-history-adapter.js'
import { createClient, currentTransport, describeTransports, once, startServer, type TransportCase } from '../../../test/support.js'

/**
 * Chaos, on every transport: clients subscribed to a channel while the server publishes N numbered
 * messages and two clients send numbered events and publishes, and connections are cut at random
 * (server-side close, client-side close, a stalled socket only heartbeats detect, and cuts while a
 * client reconnects). In the end every client has every message exactly once and in order, the
 * server applied every client frame exactly once and in order, and every session was resumed.
 *
 * Seeded: the seed fixes the fault schedule (when, whom, how) and is in every assertion message.
 * Replay with `CHAOS_SEED=<seed> npx vitest run packages/server/test/chaos.test.ts`; the exact
 * interleaving with the traffic still depends on timing.
 */
const SEED = parseSeed(process.env.CHAOS_SEED)

/** Messages the server publishes to the channel. */
const N = 2000
/** Subscriber clients; the first two also send: client 0 events to the server, client 1 publishes to the channel. */
const K = 4
/** Numbered frames each sending client sends. */
const M = 2000
/** Server messages per batch, and frames per sending client per batch. */
const BATCH = 20
/** Faults of each kind on a connected client; the schedule holds this many of each, shuffled. */
const FAULTS_PER_KIND = 7
const KINDS = ['server-close', 'client-close', 'stall'] as const
type Kind = (typeof KINDS)[number]
/**
 * Second cuts of the client just cut, on the connection that replaces the one cut: closed, or
 * stalled, as soon as its socket opens and before the client sends its `hello` (a stalled one is
 * ended by the client's connect timeout), or after it, which can lose the `welcome` of the resume
 * with its connection: closed or stalled just after the `hello` went out, closed as the welcome
 * arrives, or terminated by the server just after the resume. The client then resumes again with
 * the token it had, which the server keeps valid until the client shows it got the new one.
 */
const FOLLOW_UPS = ['close-before-hello', 'stall-before-hello', 'close-after-hello', 'stall-after-hello', 'lose-welcome', 'server-close-soon'] as const
type FollowUp = (typeof FOLLOW_UPS)[number]
type Armed = Exclude<FollowUp, 'server-close-soon'>
const FOLLOW_UP_CHANCE = 0.35
/** Without its welcome a stalled connection has no heartbeat yet: the client's connect timeout ends it. */
const CONNECT_TIMEOUT_MS = 1500

/** Deterministic PRNG (mulberry32): uniform in [0, 1). */
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

function parseSeed(text: string | undefined): number {
  if (text === undefined || text === '') return 20_250_611
  const seed = Number(text)
  if (!Number.isSafeInteger(seed)) throw new Error(`CHAOS_SEED must be an integer, got "${text}"`)
  return seed >>> 0
}

/** A 32-bit hash (FNV-1a), so each transport gets its own schedule from the one seed. */
function hash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `condition` until it holds or `timeoutMs` passes; says which. */
async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) return false
    await sleep(5)
  }
  return true
}

/** 'ok' when `actual` is exactly 1..length, in order; otherwise what is wrong with it, briefly. */
function checkSequence(actual: readonly number[], length: number): string {
  if (actual.length === length && actual.every((value, index) => value === index + 1)) return 'ok'
  const counts = new Map<number, number>()
  for (const value of actual) counts.set(value, (counts.get(value) ?? 0) + 1)
  const duplicates = [...counts].filter(([, count]) => count > 1).map(([value]) => value)
  const missing: number[] = []
  for (let n = 1; n <= length; n++) if (!counts.has(n)) missing.push(n)
  const firstWrong = actual.findIndex((value, index) => value !== index + 1)
  const around = firstWrong === -1 ? [] : actual.slice(Math.max(0, firstWrong - 3), firstWrong + 4)
  return (
    `got ${actual.length} of ${length}; ${missing.length} missing ${JSON.stringify(missing.slice(0, 10))}; ` +
    `${duplicates.length} duplicated ${JSON.stringify(duplicates.slice(0, 10))}; ` +
    (firstWrong === -1 ? 'none out of place' : `first out of place at index ${firstWrong}: …${JSON.stringify(around)}…`)
  )
}

/** Frames too many to trace: the traffic, heartbeats and confirmations. */
const UNTRACED = /"t":"(ping|pong|rcv)"|"e":"(n|p|apply)"/

/**
 * Wraps a {@link FaultyTransport} to cut the next connection at a precise moment: as its socket
 * opens, before or after the client sends its `hello` (the client sends it as soon as it hears of
 * the open), or as the `welcome` arrives (closed, the welcome unread). Traces the frames that are
 * not traffic.
 */
class Trap implements ClientTransport {
  readonly name: ClientTransport['name']
  armed: Armed | undefined
  /** Cuts made, by kind. */
  readonly sprung: Record<Armed, number> = { 'close-before-hello': 0, 'stall-before-hello': 0, 'close-after-hello': 0, 'stall-after-hello': 0, 'lose-welcome': 0 }

  constructor(
    readonly faulty: FaultyTransport,
    readonly note: (what: string) => void,
  ) {
    this.name = faulty.name
  }

  open(url: string, listener: Parameters<ClientTransport['open']>[1]): ClientSocket {
    const socket = this.faulty.open(url, {
      open: () => {
        const armed = this.armed
        if (armed === undefined || armed === 'lose-welcome') return listener.open()
        this.armed = undefined
        if (armed.endsWith('after-hello')) listener.open()
        if (this.faulty.break(armed.startsWith('close') ? 'close' : 'stall')) {
          this.sprung[armed]++
          this.note(armed)
        }
        // A socket closed before the client heard of its open never opened, as far as it knows.
        if (armed === 'stall-before-hello') listener.open()
      },
      message: (frame) => {
        if (!UNTRACED.test(frame)) this.note(`< ${frame.slice(0, 300)}`)
        if (this.armed === 'lose-welcome' && frame.includes('"t":"welcome"')) {
          this.armed = undefined
          if (this.faulty.break('close')) {
            this.sprung['lose-welcome']++
            this.note('lose-welcome')
            return
          }
        }
        listener.message(frame)
      },
      close: (code, reason) => {
        this.note(`closed ${code} ${reason}`)
        listener.close(code, reason)
      },
    })
    return {
      send: (frame) => {
        if (!UNTRACED.test(frame)) this.note(`> ${frame.slice(0, 300)}`)
        socket.send(frame)
      },
      close: (code, reason) => socket.close(code, reason),
      setMaxPayload: (bytes) => socket.setMaxPayload?.(bytes),
    }
  }
}

interface Peer {
  readonly index: number
  readonly client: RealtimeClient
  readonly faulty: FaultyTransport
  readonly trap: Trap
  /** Data of every 'n' (server message) received on the channel, in order. */
  readonly n: number[]
  /** Data of every 'p' (client publish) received on the channel, by sender, in order. */
  readonly p: Map<number, number[]>
  readonly reconnects: Array<{ attempts: number; recovered: boolean }>
  readonly subscribed: Array<{ recovered: boolean }>
  readonly disconnects: string[]
  readonly errors: RealtimeError[]
  /** What happened to this client, with the ms since the start: for a failure's message. */
  readonly trace: string[]
  /** Connected, and not cut since. */
  healthy: boolean
}

describeTransports('chaos', (transport) => chaos(transport))

describeTransports('chaos with a channel history that answers later, as a networked store does', (transport) => chaos(transport, slowHistoryAdapter))

/** The chaos test on `transport`, with the adapter `adapter` makes (the memory adapter without). */
function chaos(transport: TransportCase, adapter?: () => Adapter): void {
  it(
    `delivers ${N} channel messages, and ${M} events and publishes of clients, exactly once and in order while connections are cut at random`,
    async () => {
      const started = Date.now()
      const seedText = `CHAOS_SEED=${SEED} (${transport.name})`
      const random = mulberry32(hash(`${SEED}:${transport.name}`))
      const { rt, url } = await startServer({
        authorize: () => true,
        rateLimit: false,
        // A stalled socket is found within about a second.
        pingIntervalMs: 300,
        pingTimeoutMs: 300,
        // The channel carries about 600 messages a second, and an outage can last over 2 s (a stall,
        // then a reconnection that stalls before its hello): keep the whole run, so the channel is
        // always recovered. The default window (2 minutes) and session frames stay.
        recovery: { historySize: N + M },
        ...(adapter === undefined ? {} : { adapter: adapter() }),
      })

      // What the server applied, by sender: client 0's events and client 1's publishes.
      const applied = new Map<number, number[]>([
        [0, []],
        [1, []],
      ])
      const serverDisconnects: string[] = []
      let connections = 0
      rt.on('connection', (conn) => {
        connections++
        conn.on('apply', ({ from, n }: { from: number; n: number }) => {
          applied.get(from)?.push(n)
        })
      })
      rt.on('disconnect', (conn, info) => serverDisconnects.push(`${conn.id}: ${info.code} ${info.reason}`))
      rt.useEvent((incoming, next) => {
        if (incoming.channel === 'chaos' && incoming.event === 'p') {
          const { from, n } = incoming.data as { from: number; n: number }
          applied.get(from)?.push(n)
        }
        return next()
      })

      const peers: Peer[] = []
      for (let index = 0; index < K; index++) {
        const trace: string[] = []
        const messages: number[] = []
        const note = (what: string): void => {
          trace.push(`${Date.now() - started} ${what} (n=${messages.length})`)
        }
        const faulty = new FaultyTransport(currentTransport().client())
        const trap = new Trap(faulty, note)
        const client = createClient(url, {
          transports: [trap],
          reconnection: { initialDelayMs: 20, maxDelayMs: 200, jitter: 0 },
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
          // Emits made between a drop and the resume wait here; the default 100 is too few at this rate.
          offlineQueue: { maxSize: 10_000 },
        })
        const peer: Peer = { index, client, faulty, trap, n: messages, p: new Map(), reconnects: [], subscribed: [], disconnects: [], errors: [], trace, healthy: false }
        client.lifecycle.on('connect', () => {
          peer.healthy = true
          note('connect')
        })
        client.lifecycle.on('reconnect', (event) => {
          peer.reconnects.push(event)
          note(`reconnect ${JSON.stringify(event)}`)
        })
        client.lifecycle.on('reconnecting', (event) => note(`reconnecting ${JSON.stringify(event)}`))
        client.lifecycle.on('disconnect', (event) => {
          peer.healthy = false
          peer.disconnects.push(`${event.reason}/${event.code}`)
          note(`disconnect ${JSON.stringify(event)}`)
        })
        client.lifecycle.on('error', (error) => {
          peer.errors.push(error)
          note(`error ${error.code} ${error.message}`)
        })
        const channel = client.channel('chaos')
        channel.on('n', (n: number) => peer.n.push(n))
        channel.on('p', ({ from, n }: { from: number; n: number }) => {
          let list = peer.p.get(from)
          if (list === undefined) peer.p.set(from, (list = []))
          list.push(n)
        })
        channel.lifecycle.on('subscribed', (event) => {
          peer.subscribed.push(event)
          note(`subscribed ${JSON.stringify(event)}`)
        })
        peers.push(peer)
      }
      await Promise.all(peers.map((peer) => (peer.client.connected ? undefined : once(peer.client.lifecycle, 'connect', 5000))))
      await Promise.all(peers.map((peer) => peer.client.channel('chaos').subscribe()))

      // The schedule, drawn from the seed up front: shuffled kinds, targets, pauses, second cuts.
      const kinds: Kind[] = KINDS.flatMap((kind) => Array.from({ length: FAULTS_PER_KIND }, () => kind))
      for (let i = kinds.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1))
        ;[kinds[i], kinds[j]] = [kinds[j] as Kind, kinds[i] as Kind]
      }
      const schedule = kinds.map((kind) => ({
        kind,
        target: Math.floor(random() * K),
        pauseMs: 100 + Math.floor(random() * 200),
        followUp: random() < FOLLOW_UP_CHANCE ? (FOLLOW_UPS[Math.floor(random() * FOLLOW_UPS.length)] as FollowUp) : undefined,
        followUpAfterMs: Math.floor(random() * 60),
      }))
      const batchPauses = Array.from({ length: N / BATCH }, () => 40 + Math.floor(random() * 50))

      let stop = false
      const done: Record<Kind, number> = { 'server-close': 0, 'client-close': 0, stall: 0 }
      const followUps: Record<FollowUp, number> = Object.fromEntries(FOLLOW_UPS.map((followUp) => [followUp, 0])) as Record<FollowUp, number>
      const skipped: string[] = []
      let chaosMs = 0
      let trafficMs = 0
      /** Faults made while the traffic still flowed. */
      let midStream = 0

      /** The server's open connection of `peer`'s session, if there is one. */
      const connOf = (peer: Peer): Connection | undefined => {
        const id = peer.client.id
        const found = id === undefined ? undefined : rt.connections.get(id)
        return found?.connected === true ? found : undefined
      }
      /** Cuts one client's connection, once it is connected (waiting a bounded time for that). */
      const inflict = async (kind: Kind, peer: Peer): Promise<boolean> => {
        const ready = await waitFor(() => stop || (peer.healthy && peer.client.connected && connOf(peer) !== undefined), CONNECT_TIMEOUT_MS + 2000)
        if (stop || !ready) return false
        peer.healthy = false
        peer.trap.note(kind)
        if (kind === 'server-close') {
          ;(connOf(peer) as Connection).terminate()
          return true
        }
        return peer.faulty.break(kind === 'client-close' ? 'close' : 'stall')
      }

      const chaos = (async () => {
        for (const { kind, target, pauseMs, followUp, followUpAfterMs } of schedule) {
          await sleep(pauseMs)
          if (stop) return
          const peer = peers[target] as Peer
          if (!(await inflict(kind, peer))) {
            skipped.push(`${kind} on client ${target}`)
            continue
          }
          done[kind]++
          if (trafficMs === 0) midStream++
          if (followUp === undefined) continue
          if (followUp !== 'server-close-soon') {
            // Sprung on the next connection: the one that replaces the connection just cut.
            peer.trap.armed = followUp
            followUps[followUp]++
            continue
          }
          await sleep(followUpAfterMs)
          const conn = connOf(peer)
          conn?.terminate()
          if (conn !== undefined) {
            followUps[followUp]++
            peer.trap.note(followUp)
          }
        }
        chaosMs = Date.now() - started
      })()

      const traffic = (async () => {
        let nextN = 1
        let nextM = 1
        for (const pauseMs of batchPauses) {
          if (stop) return
          for (let i = 0; i < BATCH && nextN <= N; i++) rt.to('chaos').emit('n', nextN++)
          for (let i = 0; i < BATCH && nextM <= M; i++, nextM++) {
            peers[0]?.client.emit('apply', { from: 0, n: nextM })
            peers[1]?.client.channel('chaos').publish('p', { from: 1, n: nextM })
          }
          await sleep(pauseMs)
        }
        trafficMs = Date.now() - started
      })()

      try {
        await traffic
        await chaos
      } finally {
        stop = true
      }

      // Everything sent must arrive, within a bound.
      const complete = (): boolean =>
        (applied.get(0) as number[]).length >= M &&
        (applied.get(1) as number[]).length >= M &&
        peers.every((peer) => peer.n.length >= N && (peer.index === 1 || (peer.p.get(1)?.length ?? 0) >= M))
      const arrived = await waitFor(complete, 15_000)
      // Late duplicates would show up now.
      await sleep(300)
      for (const peer of peers) peer.trap.armed = undefined

      const report = {
        transport: transport.name,
        seed: SEED,
        trafficMs,
        chaosMs,
        totalMs: Date.now() - started,
        arrived,
        faults: done,
        midStream,
        followUps,
        sprung: peers.map((peer) => peer.trap.sprung),
        skipped,
        connections,
        serverDisconnects,
        clients: peers.map((peer) => ({
          state: peer.client.state,
          serverOpen: connOf(peer) !== undefined,
          n: peer.n.length,
          p: peer.p.get(1)?.length ?? 0,
          reconnects: peer.reconnects.length,
          disconnects: peer.disconnects.join(' '),
          errors: peer.errors.map((error) => error.code),
        })),
        applied: { 0: applied.get(0)?.length, 1: applied.get(1)?.length },
      }
      console.info(`chaos ${JSON.stringify(report)}`)
      const context = `${seedText}: ${JSON.stringify(report)}`

      expect(done['server-close'], `${context}\nserver-side cuts`).toBeGreaterThanOrEqual(5)
      expect(done['client-close'], `${context}\nclient-side cuts`).toBeGreaterThanOrEqual(5)
      expect(done.stall, `${context}\nstalls`).toBeGreaterThanOrEqual(5)

      const storyOf = (peer: Peer): string => `${seedText}: client ${peer.index}, whose story is\n  ${peer.trace.slice(-50).join('\n  ')}\n`
      // Causes first: a session that was not resumed explains whatever else went missing.
      for (const peer of peers) {
        expect(peer.reconnects.filter((event) => !event.recovered), `${storyOf(peer)}: reconnects that lost the session`).toEqual([])
        expect(peer.subscribed.filter((event, index) => index > 0 && !event.recovered), `${storyOf(peer)}: resubscriptions that lost messages`).toEqual([])
        expect(
          peer.errors.filter((error) => error.code === ErrorCode.OutcomeUnknown).map((error) => error.message),
          `${storyOf(peer)}: OUTCOME_UNKNOWN errors`,
        ).toEqual([])
      }
      expect(connections, `${context}\nconnection events (a second one for a client is a session not resumed)`).toBe(K)
      expect(serverDisconnects, `${context}\nsessions ended on the server`).toEqual([])

      // Every client has exactly 1..N from the server and 1..M from client 1, in order.
      for (const peer of peers) {
        expect(checkSequence(peer.n, N), `${storyOf(peer)}: server messages`).toBe('ok')
        if (peer.index !== 1) expect(checkSequence(peer.p.get(1) ?? [], M), `${storyOf(peer)}: publishes of client 1`).toBe('ok')
        expect([...peer.p.keys()].filter((from) => from !== 1 || peer.index === 1), `${storyOf(peer)}: publishes it should not get`).toEqual([])
      }
      // The server applied every client frame exactly once, in order.
      expect(checkSequence(applied.get(0) as number[], M), `${seedText}: events of client 0 applied by the server`).toBe('ok')
      expect(checkSequence(applied.get(1) as number[], M), `${seedText}: publishes of client 1 applied by the server`).toBe('ok')
    },
    60_000,
  )
}
