import { ErrorCode, RealtimeError } from '@org/realtime-core'
import type { Connection, Handshake } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { collect, connectedClient, describeTransports, once, rawPeer, startServer, until } from '../../../test/support.js'
import { bystanderClient, expectServed } from './second-address.js'

/** Tokens are `<user>:<role>`; each `authenticate` call stamps a new `iat`, as a token issuer does. */
let issued = 0
function verify({ auth }: Handshake): { user: string; role: string; iat: number } {
  const [user, role = 'member'] = String(auth).split(':')
  if (user === undefined || user === '') throw new RealtimeError(ErrorCode.Unauthorized, 'invalid token')
  return { user, role, iat: ++issued }
}

describeTransports('the identity of a resumed session', () => {
  it("opens a fresh session for another user's credentials with IDENTITY_MISMATCH, and leaves the session to its user", async () => {
    const { rt, port, url } = await startServer({ authenticate: verify })
    rt.on('connection', (conn) => {
      conn.join(`user:${conn.data.user}`)
      conn.on('echo', (data) => data)
    })
    const ended = collect<Connection>(rt, 'disconnect')
    const alice = await rawPeer(port)
    alice.send({ t: 'hello', v: 1, auth: 'alice', recoverable: true })
    const welcome = await alice.next((frame) => frame.t === 'welcome')
    const session = rt.connections.get(welcome.sid)!
    session.terminate()
    await until(() => !rt.connections.has(welcome.sid), 3000, 'the drop')
    // The attack: Alice's resume token (from a log, say) with Mallory's own valid credentials.
    const mallory = await rawPeer(port)
    mallory.send({ t: 'hello', v: 1, auth: 'mallory', resume: { token: welcome.token, s: 0 } })
    const fresh = await mallory.next((frame) => frame.t === 'welcome')
    expect(fresh.resumed).toBeUndefined()
    expect(fresh.err).toMatchObject({ code: ErrorCode.IdentityMismatch })
    expect(fresh.sid).not.toBe(welcome.sid)
    const mallorys = rt.connections.get(fresh.sid)!
    expect(mallorys.data.user).toBe('mallory')
    expect([...mallorys.rooms]).toEqual(['user:mallory'])
    expect(ended).toEqual([])
    // Alice comes back with fresh credentials of her own: her session, rooms and all.
    const back = await rawPeer(port)
    back.send({ t: 'hello', v: 1, auth: 'alice', resume: { token: welcome.token, s: 0 } })
    expect(await back.next((frame) => frame.t === 'welcome')).toMatchObject({ sid: welcome.sid, resumed: true })
    expect(session.data.user).toBe('alice')
    expect([...session.rooms]).toEqual(['user:alice'])
    await expectServed(await bystanderClient(url))
  })
})

describe('the identity of renewed credentials', () => {
  it("refuses a renewal with another user's credentials with IDENTITY_MISMATCH, and keeps the session's data and rooms", async () => {
    const { rt, url } = await startServer({ authenticate: verify })
    rt.on('connection', (conn) => {
      conn.join(`user:${conn.data.user}`)
      conn.on('echo', (data) => data)
    })
    const connected = once<Connection>(rt, 'connection')
    let token = 'alice'
    const client = await connectedClient(url, { auth: () => token })
    const conn = await connected
    const before = conn.data
    token = 'mallory'
    await expect(client.reauthenticate()).rejects.toMatchObject({ code: ErrorCode.IdentityMismatch })
    expect(conn.data).toBe(before)
    expect([...conn.rooms]).toEqual(['user:alice'])
    expect(client.connected).toBe(true)
    await expectServed(await bystanderClient(url))
  })

  it('renews credentials of the same user whose other fields changed', async () => {
    const { rt, url } = await startServer({ authenticate: verify })
    const connected = once<Connection>(rt, 'connection')
    let token = 'alice:member'
    const client = await connectedClient(url, { auth: () => token })
    const conn = await connected
    token = 'alice:admin'
    await expect(client.reauthenticate()).resolves.toBeUndefined()
    expect(conn.data).toMatchObject({ user: 'alice', role: 'admin' })
  })

  it('compares what the identity option returns, as JSON with keys in any order', async () => {
    const { rt, url } = await startServer({
      authenticate: ({ auth }) => JSON.parse(String(auth)) as { account: { org: string; name: string }; device: string },
      identity: (data) => data.account,
    })
    const connected = once<Connection>(rt, 'connection')
    let token = JSON.stringify({ account: { org: 'acme', name: 'ann' }, device: 'phone' })
    const client = await connectedClient(url, { auth: () => token })
    const conn = await connected
    token = JSON.stringify({ device: 'laptop', account: { name: 'ann', org: 'acme' } })
    await expect(client.reauthenticate()).resolves.toBeUndefined()
    expect(conn.data.device).toBe('laptop')
    token = JSON.stringify({ account: { org: 'other', name: 'ann' }, device: 'laptop' })
    await expect(client.reauthenticate()).rejects.toMatchObject({ code: ErrorCode.IdentityMismatch })
    expect(conn.data.account.org).toBe('acme')
  })

  it('compares all of data but exp, iat and nbf when it has no user field', async () => {
    const { rt, url } = await startServer({
      authenticate: ({ auth }) => {
        const [name, exp] = String(auth).split(':')
        return { name, exp: Number(exp), iat: ++issued }
      },
    })
    const connected = once<Connection>(rt, 'connection')
    let token = `ann:${Date.now() + 60_000}`
    const client = await connectedClient(url, { auth: () => token })
    const conn = await connected
    token = `ann:${Date.now() + 120_000}`
    await expect(client.reauthenticate()).resolves.toBeUndefined()
    token = `bob:${Date.now() + 120_000}`
    await expect(client.reauthenticate()).rejects.toMatchObject({ code: ErrorCode.IdentityMismatch })
    expect(conn.data.name).toBe('ann')
  })

  it('refuses every renewal when identity throws, and logs it', async () => {
    const errors: unknown[] = []
    const logger = { debug() {}, info() {}, warn() {}, error: (message: string) => void errors.push(message) }
    const { url } = await startServer({
      authenticate: verify,
      identity: () => {
        throw new Error('no identity here')
      },
      logger,
    })
    const client = await connectedClient(url, { auth: () => 'alice' })
    await expect(client.reauthenticate()).rejects.toMatchObject({ code: ErrorCode.IdentityMismatch })
    expect(errors).toContain('identity threw')
  })
})
