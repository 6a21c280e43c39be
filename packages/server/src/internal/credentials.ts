import { ErrorCode, RealtimeError, isRealtimeError, type ErrorPayload, type Logger } from '@org/realtime-core'
import type { Handshake } from '../types.js'
import { defaultIdentity, identityKey } from './identity.js'
import { isThenable } from './is-thenable.js'

/** Why a resume or renewal with another user's credentials is refused. */
export const otherIdentity: ErrorPayload = { code: ErrorCode.IdentityMismatch, message: "These credentials name another user than the session's" }

/** Credentials whose `expiresAt` has passed, at a handshake or a renewal. */
function expiredCredentials(): RealtimeError {
  return new RealtimeError(ErrorCode.Unauthorized, 'The credentials have expired')
}

/** A failed `authenticate` as the `UNAUTHORIZED` error the client gets. */
function unauthorized(error: unknown): RealtimeError {
  return new RealtimeError(ErrorCode.Unauthorized, isRealtimeError(error) ? error.message : 'Authentication failed')
}

/** The server options credentials are checked by. */
interface CredentialOptions<TData> {
  authenticate?: (handshake: Handshake) => TData | Promise<TData>
  expiresAt?: (data: TData) => number | Date | undefined
  identity?: (data: TData) => unknown
}

/**
 * The credentials of a server's connections: runs `authenticate`, finds when credentials expire
 * (`expiresAt`) and whom they name (`identity`), and remembers whom each connection's credentials
 * named when it was opened, so that a resume or renewal by another user is refused.
 */
export class Credentials<TData> {
  readonly #authenticate: ((handshake: Handshake) => TData | Promise<TData>) | undefined
  readonly #expiresAt: ((data: TData) => number | Date | undefined) | undefined
  /** Who `data` names, with `authenticate`; undefined without it (every connection is the same nobody). */
  readonly #identity: ((data: TData) => unknown) | undefined
  /** Who each connection's credentials named when it was opened, with `authenticate`. */
  readonly #identities = new WeakMap<object, string | symbol | undefined>()
  readonly #logger: Logger

  constructor(options: CredentialOptions<TData>, logger: Logger) {
    this.#authenticate = options.authenticate
    this.#expiresAt = options.expiresAt
    this.#identity = options.authenticate === undefined ? undefined : (options.identity ?? defaultIdentity)
    this.#logger = logger
  }

  /**
   * Runs `authenticate`; any failure is `UNAUTHORIZED`, with the message of a thrown `RealtimeError`.
   * A synchronous `authenticate` gives its data without a promise; undefined when it returned none
   * (or there is no `authenticate`: no data until a connection's is first read).
   */
  authenticated(handshake: Handshake): TData | undefined | Promise<TData | undefined> {
    if (this.#authenticate === undefined) return undefined
    let data: TData | undefined | PromiseLike<TData | undefined>
    try {
      data = this.#authenticate(handshake)
    } catch (error) {
      throw unauthorized(error)
    }
    if (!isThenable(data)) return data
    return Promise.resolve(data).then(undefined, (error: unknown) => {
      throw unauthorized(error)
    })
  }

  /**
   * When the credentials of `data` expire, by the `expiresAt` option (`{}` stands for no data).
   * @throws RealtimeError `UNAUTHORIZED` when they already have: they are refused at once.
   */
  unexpiredUntil(data: TData | undefined): number | undefined {
    const expiry = this.#expiresAt?.(data ?? ({} as TData))
    const expiresAt = expiry instanceof Date ? expiry.getTime() : expiry
    if (expiresAt !== undefined && expiresAt <= Date.now()) throw expiredCredentials()
    return expiresAt
  }

  /**
   * Who `data` names, by the `identity` option, as a key to compare; undefined without
   * `authenticate`. An identity that cannot be compared (it throws, or is no JSON) is a symbol of
   * its own, equal to no other: resumes and renewals are refused.
   */
  identityOf(data: TData | undefined): string | symbol | undefined {
    if (this.#identity === undefined) return undefined
    try {
      const key = identityKey(this.#identity(data ?? ({} as TData)))
      if (key !== undefined) return key
      this.#logger.warn('identity is no JSON value: resumes and renewals of this user are refused')
    } catch (error) {
      this.#logger.error('identity threw', { error })
    }
    return Symbol('no identity')
  }

  /** `conn` was opened with credentials naming `identity`. */
  remember(conn: object, identity: string | symbol | undefined): void {
    if (this.#identity !== undefined) this.#identities.set(conn, identity)
  }

  /** Whether `identity` is whom the credentials `conn` was opened with named. */
  sameUser(conn: object, identity: string | symbol | undefined): boolean {
    return identity === this.#identities.get(conn)
  }

  /**
   * Checks the fresh credentials `auth` a client of `conn` (opened with `handshake`) sent: its new
   * `data` and when they expire; undefined without `authenticate` (nothing to renew, and `data`
   * stays as it is).
   * @throws RealtimeError `UNAUTHORIZED` when they are refused or expired, `IDENTITY_MISMATCH`
   * when they name another user: another user's credentials must not take over a session.
   */
  async renewed(conn: object, handshake: Handshake, auth: unknown): Promise<{ data: TData; expiresAt: number | undefined } | undefined> {
    if (this.#authenticate === undefined) return undefined
    const data = (await this.authenticated({ ...handshake, auth })) ?? ({} as TData)
    const expiresAt = this.unexpiredUntil(data)
    if (!this.sameUser(conn, this.identityOf(data))) throw new RealtimeError(otherIdentity.code, otherIdentity.message)
    return { data, expiresAt }
  }
}
