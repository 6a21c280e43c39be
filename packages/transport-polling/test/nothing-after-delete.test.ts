import type { ClientTransport } from '@org/realtime-core'
import type { Connection } from '@org/realtime-server'
import { pollingTransport as pollingClient } from '@org/realtime-transport-polling/client'
import { sseTransport as sseClient } from '@org/realtime-transport-sse/client'
import { describe, expect, it } from 'vitest'
import { createClient, once, startServer, until } from '../../../test/support.js'

/** One request of the client, as its `fetch` saw it: sent, then answered with `status` (0 until then, -1 if it failed). */
interface Sent {
  method: string
  status: number
}

/**
 * A `fetch` that records the client's requests in the order they leave; with `postDelayMs`, each
 * POST leaves that much later, as over a link where an upload takes longer than a DELETE.
 */
function recordingFetch(log: Sent[], postDelayMs = 0): typeof fetch {
  return async (input, init) => {
    const method = init?.method ?? 'GET'
    if (method === 'POST' && postDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, postDelayMs))
    const sent: Sent = { method, status: 0 }
    log.push(sent)
    try {
      const response = await fetch(input, init)
      sent.status = response.status
      return response
    } catch (error) {
      // Aborted: the long-poll or the stream of a client that closed.
      sent.status = -1
      throw error
    }
  }
}

const cases: Array<{ name: string; client: (fetchImpl: typeof fetch) => ClientTransport }> = [
  { name: 'sse', client: (fetchImpl) => sseClient({ fetch: fetchImpl }) },
  { name: 'polling', client: (fetchImpl) => pollingClient({ fetch: fetchImpl }) },
]

describe.each(cases)('the last request of an HTTP session over $name', ({ client: transport }) => {
  it('is its DELETE: a POST in flight is answered first, so the frame it carries is handled and nothing gets 404', async () => {
    const { rt, url } = await startServer()
    const received: unknown[] = []
    const connected = once<Connection>(rt, 'connection')
    const log: Sent[] = []
    const client = createClient(url, { transports: [transport(recordingFetch(log, 100))] })
    await once(client.lifecycle, 'connect')
    const conn = await connected
    conn.on('last-words', (data) => void received.push(data))
    const ended = once(conn, 'disconnect')
    client.emit('last-words', 'bye')
    client.disconnect()
    expect(await ended).toMatchObject({ code: 1000 })
    await until(() => log.every((sent) => sent.status !== 0) && log.some((sent) => sent.method === 'DELETE'), 3000, 'every request answered')
    expect(received).toEqual(['bye'])
    const afterOpen = log.filter((sent) => sent.method !== 'GET')
    expect(afterOpen.at(-1)).toEqual({ method: 'DELETE', status: 204 })
    expect(log.filter((sent) => sent.status === 404)).toEqual([])
  })

  it('leaves at once, in the same turn, when no POST is in flight, as a page being unloaded needs', async () => {
    const { url } = await startServer()
    const log: Sent[] = []
    const client = createClient(url, { transports: [transport(recordingFetch(log))] })
    await once(client.lifecycle, 'connect')
    await until(() => log.every((sent) => sent.method === 'GET' || sent.status !== 0), 3000, 'the handshake POSTs answered')
    client.disconnect()
    expect(log.at(-1)?.method).toBe('DELETE')
  })
})
