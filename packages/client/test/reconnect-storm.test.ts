import { CloseCode, type DisconnectEvent, type RealtimeClient, type ReconnectEvent } from '@org/realtime-client'
import type { ClientTransport } from '@org/realtime-core'
import { webSocketTransport } from '@org/realtime-transport-ws/client'
import { describe, expect, it } from 'vitest'
import { createClient, once, startServer, until } from '../../../test/support.js'

const CLIENTS = 1000
const BATCH = 100
/** The client's default backoff, spelled out: the first attempt comes 500..1000 ms after the drop. */
const BACKOFF = { initialDelayMs: 1000, maxDelayMs: 5000, jitter: 0.5, multiplier: 2 }
const BUCKET_MS = 100

/** The WebSocket transport, calling `opening` each time the client opens a connection with it. */
function watchedWebSocket(opening: () => void): ClientTransport {
  const transport = webSocketTransport()
  return {
    name: transport.name,
    open(url, listener) {
      opening()
      return transport.open(url, listener)
    },
  }
}

/** Counts of `times` per `BUCKET_MS` bucket, keyed by the bucket's start, in order. */
function buckets(times: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>()
  for (const time of times) {
    const bucket = Math.floor(time / BUCKET_MS) * BUCKET_MS
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1)
  }
  return new Map([...counts.entries()].sort(([a], [b]) => a - b))
}

/** The value below which `fraction` of `sorted` lies. */
function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number
}

/** Sorted `times` (ms) in one line for assertion messages: percentiles and histogram. */
function describeTimes(sorted: readonly number[]): string {
  const histogram = [...buckets(sorted).entries()].map(([start, count]) => `${start}-${start + BUCKET_MS - 1}: ${count}`).join(', ')
  const at = (fraction: number): string => percentile(sorted, fraction).toFixed(0)
  return `first ${at(0)}, p10 ${at(0.1)}, p50 ${at(0.5)}, p90 ${at(0.9)}, last ${at(1)}; per ${BUCKET_MS} ms: ${histogram}`
}

describe('reconnect storm', () => {
  it('spreads 1,000 clients dropped at once over the backoff window', { timeout: 60_000 }, async () => {
    // The per-IP limits would refuse 1,000 handshakes from one loopback address.
    const { rt, url } = await startServer({ rateLimit: false })

    // Times in ms since the drop (t0): each reconnection attempt opening its socket, and each client back.
    let t0 = Number.NaN
    const attemptedAt: number[] = []
    const transport = (): ClientTransport =>
      watchedWebSocket(() => {
        if (!Number.isNaN(t0)) attemptedAt.push(performance.now() - t0)
      })
    const clients: RealtimeClient[] = []
    for (let start = 0; start < CLIENTS; start += BATCH) {
      const batch = Array.from({ length: BATCH }, () => createClient(url, { transports: [transport()], reconnection: BACKOFF }))
      clients.push(...batch)
      await Promise.all(batch.map((client) => once(client.lifecycle, 'connect', 10_000)))
    }
    expect(rt.connections.size).toBe(CLIENTS)

    // Also when each client saw the drop, and its own wait from there to being back.
    const disconnects: DisconnectEvent[] = []
    const disconnectedAt: number[] = []
    const reconnectedAt: number[] = []
    const waits: number[] = []
    const attempts: number[] = []
    for (const client of clients) {
      let lostAt = Number.NaN
      client.lifecycle.on('disconnect', (event: DisconnectEvent) => {
        lostAt = performance.now()
        disconnects.push(event)
        disconnectedAt.push(lostAt - t0)
      })
      client.lifecycle.on('reconnect', (event: ReconnectEvent) => {
        const now = performance.now()
        reconnectedAt.push(now - t0)
        waits.push(now - lostAt)
        attempts.push(event.attempts)
      })
    }

    // Drop everyone in one synchronous sweep, as a restarting server does.
    t0 = performance.now()
    for (const conn of [...rt.connections.values()]) conn.disconnect(CloseCode.GoingAway, 'server restarting')
    await until(() => reconnectedAt.length === CLIENTS, 15_000, `${CLIENTS} reconnections`)

    const sort = (times: readonly number[]): number[] => [...times].sort((a, b) => a - b)
    const lost = sort(disconnectedAt)
    const attempted = sort(attemptedAt)
    const back = sort(reconnectedAt)
    const sortedWaits = sort(waits)
    const report = [
      `attempts opened, ms after the drop: ${describeTimes(attempted)}`,
      `reconnected, ms after the drop: ${describeTimes(back)}`,
      `disconnect seen: ${describeTimes(lost)}`,
      `each client's wait from its disconnect to its reconnect: ${describeTimes(sortedWaits)}`,
    ].join(' | ')

    // The drop reached every client at about the same time, as in a storm, and all of them are back,
    // each on its first attempt: the times measured are those of first attempts.
    expect(disconnects.length, report).toBe(CLIENTS)
    expect(
      disconnects.filter((event) => event.code !== CloseCode.GoingAway || !event.willReconnect),
      'every client saw 1001 and will reconnect',
    ).toEqual([])
    expect(percentile(lost, 1) - percentile(lost, 0), `the drop reached everyone within 300 ms (${report})`).toBeLessThan(300)
    expect(
      attempts.filter((count) => count !== 1),
      `reconnects that took more than one attempt (${report})`,
    ).toEqual([])
    expect(attempted.length, `one attempt per client (${report})`).toBe(CLIENTS)
    expect(rt.connections.size, report).toBe(CLIENTS)

    // No one tried, nor came back, before the shortest first delay, initialDelayMs * (1 - jitter) = 500 ms.
    expect(percentile(attempted, 0), `nobody tried within 450 ms of the drop (${report})`).toBeGreaterThanOrEqual(450)
    expect(percentile(back, 0), `nobody came back within 450 ms of the drop (${report})`).toBeGreaterThanOrEqual(450)
    expect(percentile(sortedWaits, 0), `no client waited less than 500 ms after its disconnect (${report})`).toBeGreaterThanOrEqual(490)

    // The attempts hit the server spread out: uniform over 500..1000 ms, they span ~500 ms, the
    // 10th to 90th percentiles lie ~400 ms apart and each 100 ms holds ~20%. Without jitter, all
    // of them would land in one or two buckets.
    expect(percentile(attempted, 1) - percentile(attempted, 0), `attempts span at least 300 ms (${report})`).toBeGreaterThanOrEqual(300)
    expect(percentile(attempted, 0.9) - percentile(attempted, 0.1), `the middle 80% of attempts spread over 250 ms (${report})`).toBeGreaterThanOrEqual(250)
    expect(Math.max(...buckets(attempted).values()), `no ${BUCKET_MS} ms holds more than 30% of the attempts (${report})`).toBeLessThanOrEqual(
      CLIENTS * 0.3,
    )

    // Completed reconnections follow the attempts. They also queue behind the in-process server's
    // handshakes, and on a busy machine its accept backlog overflows, so some wait for a SYN
    // retransmit: the bounds here are looser.
    expect(percentile(back, 0.9) - percentile(back, 0.1), `the middle 80% of reconnections spread over 250 ms (${report})`).toBeGreaterThanOrEqual(250)
    expect(Math.max(...buckets(back).values()), `no ${BUCKET_MS} ms holds half of the reconnections (${report})`).toBeLessThan(CLIENTS * 0.5)
  })
})
