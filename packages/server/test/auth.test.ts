import { CloseCode, ErrorCode, RealtimeError } from '@org/realtime-core'
import type { DisconnectEvent } from '@org/realtime-client'
import { expect, it } from 'vitest'
import { collect, connectedClient, createClient, describeTransports, once, startServer, until } from '../../../test/support.js'

/** Tokens are `<user>:<expiry in ms since the epoch>`; `authenticate` refuses expired or malformed ones. */
function verify(token: unknown): { user: string; exp: number } {
  const [user, exp] = String(token).split(':')
  if (user === undefined || user === '' || !(Number(exp) > Date.now())) throw new RealtimeError(ErrorCode.Unauthorized, 'invalid or expired token')
  return { user, exp: Number(exp) }
}

/** Reads a token like `verify`, without checking its expiry. */
function parse(token: unknown): { user: string; exp: number } {
  const [user = '', exp] = String(token).split(':')
  return { user, exp: Number(exp) }
}

describeTransports('credentials that expire', () => {
  it('renews them before they expire, on the same connection', async () => {
    let issued = 0
    const { rt, url } = await startServer({ authenticate: ({ auth }) => verify(auth), expiresAt: (data) => data.exp, pingIntervalMs: 40, pingTimeoutMs: 2000 })
    const client = await connectedClient(url, {
      auth: () => {
        issued++
        return `ann:${Date.now() + 800}`
      },
    })
    const disconnects = collect<DisconnectEvent>(client.lifecycle, 'disconnect')
    const session = client.id
    await until(() => issued >= 4, 3000, 'three renewals')
    expect(disconnects).toEqual([])
    expect(client.id).toBe(session)
    const [conn] = rt.connections.values()
    expect(conn?.data.exp).toBeGreaterThan(Date.now())
  })

  it('closes a connection whose credentials expired with 4401, and a client with a fixed token stops', async () => {
    const { rt, url } = await startServer({ authenticate: ({ auth }) => verify(auth), expiresAt: (data) => new Date(data.exp), pingIntervalMs: 40, pingTimeoutMs: 2000 })
    const client = await connectedClient(url, { auth: `ann:${Date.now() + 300}` })
    const errors = collect<RealtimeError>(client.lifecycle, 'error')
    const closed = new Promise<number>((resolve) => rt.once('disconnect', (_conn, info) => resolve(info.code)))
    const disconnected: DisconnectEvent = await once(client.lifecycle, 'disconnect', 3000)
    expect(disconnected).toMatchObject({ code: CloseCode.Unauthorized, reason: 'refused', willReconnect: false })
    expect(await closed).toBe(CloseCode.Unauthorized)
    expect(errors.map((error) => error.code)).toContain(ErrorCode.Unauthorized)
    expect(client.state).toBe('disconnected')
  })

  it('refuses renewed credentials authenticate rejects, and keeps the connection until they expire', async () => {
    const { url } = await startServer({ authenticate: ({ auth }) => verify(auth), expiresAt: (data) => data.exp })
    let token = `ann:${Date.now() + 60_000}`
    const client = await connectedClient(url, { auth: () => token })
    token = 'forged'
    await expect(client.reauthenticate()).rejects.toMatchObject({ code: ErrorCode.Unauthorized, message: 'invalid or expired token' })
    expect(client.connected).toBe(true)
  })

  it('refuses credentials that expired before the handshake with UNAUTHORIZED, and the client stops', async () => {
    // This authenticate forgets to check the expiry: the server still refuses what expiresAt says has passed.
    const { rt, url } = await startServer({ authenticate: ({ auth }) => parse(auth), expiresAt: (data) => data.exp })
    const connections = collect(rt, 'connection')
    const client = createClient(url, { auth: `ann:${Date.now() - 1000}` })
    const error: RealtimeError = await once(client.lifecycle, 'error')
    expect(error).toMatchObject({ code: ErrorCode.Unauthorized, message: 'The credentials have expired' })
    await until(() => client.state === 'disconnected', 2000, 'the client to stop')
    expect(connections).toEqual([])
  })

  it('refuses a renewal with credentials that already expired, and keeps the current ones', async () => {
    const { rt, url } = await startServer({ authenticate: ({ auth }) => parse(auth), expiresAt: (data) => data.exp })
    const valid = Date.now() + 60_000
    let token = `ann:${valid}`
    const client = await connectedClient(url, { auth: () => token })
    const [conn] = rt.connections.values()
    token = `ann:${Date.now() - 1000}`
    await expect(client.reauthenticate()).rejects.toMatchObject({ code: ErrorCode.Unauthorized, message: 'The credentials have expired' })
    expect(conn?.data.exp).toBe(valid)
    expect(conn?.expiresAt).toBe(valid)
    expect(client.connected).toBe(true)
  })

  it('welcomes without expiresAt when credentials do not expire', async () => {
    const { url } = await startServer()
    const client = await connectedClient(url, { auth: () => 'anything' })
    await expect(client.reauthenticate()).resolves.toBeUndefined()
  })
})
