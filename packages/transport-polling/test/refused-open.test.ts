import { ErrorCode, type RealtimeError } from '@org/realtime-core'
import { pollingTransport as pollingClient } from '@org/realtime-transport-polling/client'
import { pollingTransport } from '@org/realtime-transport-polling/server'
import { describe, expect, it } from 'vitest'
import { fetchFrom } from '../../../test/fetch-from-address.js'
import { connectedClient, createClient, once, startServer } from '../../../test/support.js'

describe('a long-polling open the server refuses', () => {
  it('is answered 429 with the refusal and its close, and keeps no session, while a bystander is served', async () => {
    const polling = pollingTransport()
    const { rt, url } = await startServer({ transports: [polling], rateLimit: { connectionsPerIp: 2 } })
    rt.on('connection', (conn) => conn.on('echo', (data) => data))
    const bystander = await connectedClient(url, { transports: [pollingClient({ fetch: fetchFrom('127.0.0.2') })] })
    for (let n = 0; n < 2; n++) expect((await fetch(`${url}?transport=polling`)).status).toBe(200)
    expect(polling.sessionCount).toBe(3)
    for (let n = 0; n < 200; n++) {
      const refused = await fetch(`${url}?transport=polling`)
      expect(refused.status).toBe(429)
      expect(refused.headers.get('x-realtime-close')).toBe(`4429 ${ErrorCode.LimitExceeded}`)
      expect(JSON.parse(await refused.text())).toMatchObject({ t: 'error', code: ErrorCode.LimitExceeded })
    }
    expect(polling.sessionCount).toBe(3)
    await expect(bystander.emitWithAck('echo', 'still here', { timeoutMs: 1000 })).resolves.toBe('still here')
  })

  it('reaches the bundled client as the refusal it is', async () => {
    const { url } = await startServer({ transports: [pollingTransport()], rateLimit: { connectionsPerIp: 0 } })
    const client = createClient(url, { transports: [pollingClient()], reconnection: false })
    const error = await once<RealtimeError>(client.lifecycle, 'error')
    expect(error.code).toBe(ErrorCode.LimitExceeded)
  })
})
