import { ErrorCode, type RealtimeError } from '@org/realtime-core'
import type { Connection } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { collect, createClient, once, startServer } from '../../../test/support.js'
import { BYSTANDER_ADDRESS, bystanderClient, expectServed, rawSocketFrom } from './second-address.js'

/** A promise with its resolve function. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

/**
 * Opens sockets from 127.0.0.1 (at most 20, within 2 s) until the server admits one, which with
 * `connectionsPerIp: 1` means it has seen the earlier socket of the address close.
 */
async function untilAddressFree(port: number): Promise<void> {
  const deadline = Date.now() + 2000
  for (let attempt = 0; attempt < 20 && Date.now() < deadline; attempt++) {
    const probe = await rawSocketFrom(port)
    probe.send({ t: 'hello', v: 1, auth: 'probe' })
    const answer = await probe.next((frame) => frame.t === 'welcome' || frame.t === 'error', 1000)
    probe.ws.terminate()
    if (answer.t === 'welcome') return
    await probe.closed
  }
  throw new Error('the address was never admitted again')
}

describe('a client that leaves during the handshake', () => {
  it('gets neither connection nor disconnect when it hangs up while authenticate runs', async () => {
    const started = deferred()
    const release = deferred()
    const { rt, port, url } = await startServer({
      rateLimit: { connectionsPerIp: 1 },
      authenticate: async ({ auth }) => {
        if (auth === 'slow') {
          started.resolve()
          await release.promise
        }
        return { user: String(auth) }
      },
    })
    rt.on('connection', (conn) => conn.on('echo', (data) => data))
    const connections = collect<Connection>(rt, 'connection')
    const disconnects = collect<Connection>(rt, 'disconnect')
    const peer = await rawSocketFrom(port)
    peer.send({ t: 'hello', v: 1, auth: 'slow' })
    await started.promise
    peer.ws.terminate()
    // The server saw the hang-up once it admits another socket from the address (connectionsPerIp: 1).
    await untilAddressFree(port)
    release.resolve()
    // A whole handshake of another client later, authenticate's answer has been handled.
    const bystander = await bystanderClient(url)
    await expectServed(bystander)
    expect(connections.map((conn) => conn.data.user)).not.toContain('slow')
    expect(disconnects.map((conn) => conn.data.user)).not.toContain('slow')
  })

  it('gets no disconnect when a connection middleware refuses it, and leaves no room behind', async () => {
    const { rt, url } = await startServer()
    rt.use((conn) => {
      if (conn.handshake.remoteAddress === BYSTANDER_ADDRESS) return
      conn.join('lobby')
      throw new Error('refused')
    })
    rt.on('connection', (conn) => conn.on('echo', (data) => data))
    const connections = collect<Connection>(rt, 'connection')
    const disconnects = collect<Connection>(rt, 'disconnect')
    const refused = createClient(url)
    const error: RealtimeError = await once(refused.lifecycle, 'error')
    expect(error.code).toBe(ErrorCode.Forbidden)
    const bystander = await bystanderClient(url)
    await expectServed(bystander)
    expect(connections).toHaveLength(1)
    expect(disconnects).toEqual([])
  })
})
