import { randomBytes } from 'node:crypto'
import { CloseCode, ErrorCode, RealtimeClient, type DisconnectEvent, type RealtimeClientOptions, type RealtimeError } from '@org/realtime-client'
import { SignJWT } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startAuthServer, type AuthServer } from '../src/auth-server.js'
import { createTokenClient, fetchToken, type IssuedToken, type TokenClientOptions } from '../src/token-client.js'
import { TokenIssuer } from '../src/tokens.js'
import { collect, once, until } from '../../../test/support.js'

const TTL_SECONDS = 2

let server: AuthServer
let secret: Uint8Array
const clients: RealtimeClient[] = []

beforeEach(async () => {
  secret = randomBytes(32)
  server = await startAuthServer({ port: 0, secret, tokenTtlSeconds: TTL_SECONDS })
})

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect()
  await server.close()
})

const fast = { reconnection: { initialDelayMs: 20, maxDelayMs: 100 } } satisfies RealtimeClientOptions

function tokenClient(name: string, options: TokenClientOptions = {}): RealtimeClient {
  const client = createTokenClient(server.url, name, { ...fast, ...options })
  clients.push(client)
  return client
}

function fixedClient(auth: unknown): RealtimeClient {
  const client = new RealtimeClient(`${server.url}realtime`, { ...fast, auth })
  clients.push(client)
  return client
}

/** Waits for the client's first `error` and checks it stopped without trying again. */
async function refusedForGood(client: RealtimeClient): Promise<RealtimeError> {
  const reconnecting = collect(client.lifecycle, 'reconnecting')
  const error: RealtimeError = await once(client.lifecycle, 'error')
  await new Promise((resolve) => setTimeout(resolve, 300))
  expect(client.state).toBe('disconnected')
  expect(reconnecting).toEqual([])
  return error
}

describe('token renewal', () => {
  it('keeps one session through several token expiries by renewing the token on the open connection', async () => {
    const issued: IssuedToken[] = []
    const client = tokenClient('ada', { onToken: (token) => issued.push(token) })
    const disconnects = collect<DisconnectEvent>(client.lifecycle, 'disconnect')
    const serverDisconnects = collect(server.rt, 'disconnect')
    await once(client.lifecycle, 'connect')
    const session = client.id
    const firstExpiry = issued[0]!.expiresAt

    // Three token lifetimes: each token expires during the test, and is replaced before it does.
    await until(() => Date.now() > firstExpiry + 2 * TTL_SECONDS * 1000, 4 * TTL_SECONDS * 1000, 'three token lifetimes')
    expect(issued.length).toBeGreaterThanOrEqual(4)
    expect(issued.map((token) => token.expiresAt)).toEqual([...issued.map((token) => token.expiresAt)].sort((a, b) => a - b))
    expect(disconnects).toEqual([])
    expect(serverDisconnects).toEqual([])
    expect(client.id).toBe(session)

    const me = (await client.emitWithAck('whoami')) as { user: string; expiresAt: number }
    expect(me.user).toBe('ada')
    expect(me.expiresAt).toBeGreaterThan(Date.now())
    expect(me.expiresAt).toBeGreaterThan(firstExpiry)
  })

  it('identifies the user from the token in authorize: their own channel only', async () => {
    const client = tokenClient('ada')
    await once(client.lifecycle, 'connect')
    await expect(client.channel('user:ada').subscribe()).resolves.toEqual({ recovered: false })
    await expect(client.channel('user:bob').subscribe()).rejects.toMatchObject({ code: ErrorCode.Forbidden })
    await expect(client.channel('user:ada').publishWithAck('note', 'hi')).rejects.toMatchObject({ code: ErrorCode.Forbidden })
  })
})

describe('bad tokens', () => {
  it('refuses an expired token with UNAUTHORIZED, and the client does not retry', async () => {
    const { token } = await server.tokens.issue('ada', -10)
    let calls = 0
    const client = fixedClient(() => {
      calls++
      return { token }
    })
    const error = await refusedForGood(client)
    expect(error).toMatchObject({ code: ErrorCode.Unauthorized, message: 'The token expired' })
    expect(calls).toBe(1)
  })

  const forgeries: Array<[string, () => Promise<string>]> = [
    ['signed with another secret', async () => (await new TokenIssuer(randomBytes(32)).issue('ada')).token],
    [
      'with the payload changed to another user',
      async () => {
        const [header, , signature] = (await fetchToken(server.url, 'ada')).token.split('.')
        const payload = Buffer.from(JSON.stringify({ sub: 'admin', aud: 'realtime', exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url')
        return `${header}.${payload}.${signature}`
      },
    ],
    [
      'unsigned (alg "none")',
      async () => {
        const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
        return `${part({ alg: 'none' })}.${part({ sub: 'ada', aud: 'realtime', exp: Math.floor(Date.now() / 1000) + 60 })}.`
      },
    ],
    [
      'signed with the right secret for another audience',
      async () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('ada').setAudience('billing').setExpirationTime('1m').sign(secret),
    ],
    ['that is not a JWT', async () => 'not-a-token'],
  ]

  it.each(forgeries)('refuses a token %s with UNAUTHORIZED, and the client does not retry', async (_name, forge) => {
    const client = fixedClient({ token: await forge() })
    const error = await refusedForGood(client)
    expect(error).toMatchObject({ code: ErrorCode.Unauthorized, message: 'Invalid token' })
    expect(server.rt.connections.size).toBe(0)
  })
})

describe('a fixed token', () => {
  it('is closed with 4401 once it expires, and the client stops', async () => {
    const { token } = await fetchToken(server.url, 'ada')
    const client = fixedClient({ token })
    const closed = new Promise<number>((resolve) => server.rt.once('disconnect', (_conn, info) => resolve(info.code)))
    await once(client.lifecycle, 'connect')
    const errors = collect<RealtimeError>(client.lifecycle, 'error')
    // The server checks expiry on its heartbeat tick (every 5 s with the default ping settings).
    const disconnected: DisconnectEvent = await once(client.lifecycle, 'disconnect', TTL_SECONDS * 1000 + 7000)
    expect(disconnected).toMatchObject({ code: CloseCode.Unauthorized, willReconnect: false })
    expect(await closed).toBe(CloseCode.Unauthorized)
    expect(errors.map((error) => error.code)).toContain(ErrorCode.Unauthorized)
    expect(client.state).toBe('disconnected')
  })
})
