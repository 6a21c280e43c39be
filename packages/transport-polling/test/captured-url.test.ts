import { ErrorCode } from '@org/realtime-core'
import type { Connection } from '@org/realtime-server'
import { pollingTransport as pollingClient } from '@org/realtime-transport-polling/client'
import { describe, expect, it } from 'vitest'
import { fetchFrom, recordingFetch } from '../../../test/fetch-from-address.js'
import { collect, createClient, once, startServer } from '../../../test/support.js'

/** Requests from another address than the client's, as someone who found its URLs in a log would send them. */
const attacker = fetchFrom('127.0.0.2')

async function errorOf(response: Response): Promise<{ status: number; code: string }> {
  return { status: response.status, code: ((await response.json()) as { code: string }).code }
}

describe('a long-polling session URL in the wrong hands', () => {
  it('refuses POSTs, long-polls and DELETEs from another address, and the client keeps its session', async () => {
    const { rt, url } = await startServer()
    const echoed: unknown[] = []
    rt.on('connection', (conn) =>
      conn.on('echo', (data) => {
        echoed.push(data)
        return data
      }),
    )
    const { urls, fetch: recording } = recordingFetch()
    const connected = once<Connection>(rt, 'connection')
    const client = createClient(url, { transports: [pollingClient({ fetch: recording })] })
    await once(client.lifecycle, 'connect')
    const conn = await connected
    const disconnects = collect(client.lifecycle, 'disconnect')
    const sessionUrl = urls.find((seen) => seen.includes('sid=')) as string
    expect(sessionUrl).toBeDefined()
    const forged = await attacker(sessionUrl, { method: 'POST', body: '{"t":"event","e":"echo","d":"forged","id":99}', headers: { 'content-type': 'text/plain' } })
    expect(await errorOf(forged)).toEqual({ status: 404, code: ErrorCode.UnknownSession })
    // The client's own long-poll is held meanwhile: the stranger's is refused, not queued behind it.
    expect(await errorOf(await attacker(sessionUrl))).toEqual({ status: 404, code: ErrorCode.UnknownSession })
    expect(await errorOf(await attacker(`${sessionUrl}&code=1000`, { method: 'DELETE' }))).toEqual({ status: 404, code: ErrorCode.UnknownSession })
    const delivered = once(client, 'private')
    conn.emit('private', 'for the client only')
    expect(await delivered).toBe('for the client only')
    await expect(client.emitWithAck('echo', 'mine')).resolves.toBe('mine')
    expect(echoed).toEqual(['mine'])
    expect(disconnects).toEqual([])
  })

  it('does not hand the frames waiting between two long-polls to a stranger with the URL', async () => {
    const { rt, url } = await startServer()
    const opened = (await (await fetch(`${url}?transport=polling`)).json()) as { sid: string; key: string }
    const sessionUrl = `${url}?transport=polling&sid=${opened.sid}`
    const own = { 'x-realtime-key': opened.key }
    const connected = once<Connection>(rt, 'connection')
    expect((await fetch(sessionUrl, { method: 'POST', body: '{"t":"hello","v":1}', headers: own })).status).toBe(204)
    const conn = await connected
    expect(JSON.parse(await (await fetch(sessionUrl, { headers: own })).text())).toMatchObject({ t: 'welcome' })
    // Between the client's long-polls, a frame waits for it; a stranger asks first.
    conn.emit('private', 'for the client only')
    expect(await errorOf(await attacker(sessionUrl))).toEqual({ status: 404, code: ErrorCode.UnknownSession })
    const frames = (await (await fetch(sessionUrl, { headers: own })).text()).split('\n').map((line) => JSON.parse(line))
    expect(frames).toEqual([{ t: 'event', e: 'private', d: 'for the client only' }])
    expect(conn.connected).toBe(true)
    expect((await fetch(`${sessionUrl}&code=1000`, { method: 'DELETE', headers: own })).status).toBe(204)
  })
})
