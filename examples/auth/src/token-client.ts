import { RealtimeClient, type RealtimeClientOptions } from '@org/realtime-client'

/** A token from `POST /token`. */
export interface IssuedToken {
  token: string
  /** Milliseconds since the epoch. */
  expiresAt: number
}

/** Asks the example server at `baseUrl` for a fresh token for `name`. */
export async function fetchToken(baseUrl: string, name: string): Promise<IssuedToken> {
  const response = await fetch(new URL('token', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  })
  if (!response.ok) throw new Error(`POST /token answered ${response.status}`)
  return (await response.json()) as IssuedToken
}

/** Options of {@link createTokenClient}: the client's own, and a hook called with each new token. */
export interface TokenClientOptions extends Omit<RealtimeClientOptions, 'auth'> {
  onToken?: (issued: IssuedToken) => void
}

/**
 * A client whose `auth` is a function fetching a fresh token: the client calls it on every
 * (re)connect and shortly before the server's `expiresAt`, so an expiring token is replaced on
 * the open connection, with no reload and no reconnect.
 */
export function createTokenClient(baseUrl: string, name: string, { onToken, ...options }: TokenClientOptions = {}): RealtimeClient {
  return new RealtimeClient(new URL('realtime', baseUrl).href, {
    ...options,
    auth: async () => {
      const issued = await fetchToken(baseUrl, name)
      onToken?.(issued)
      return { token: issued.token }
    },
  })
}
