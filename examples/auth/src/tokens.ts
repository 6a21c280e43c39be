import { randomBytes } from 'node:crypto'
import { ErrorCode, RealtimeError } from '@org/realtime-server'
import { SignJWT, errors, jwtVerify } from 'jose'

/** What a verified token says: who, and until when (the JWT's `exp`, in seconds since the epoch). */
export interface TokenUser {
  user: string
  exp: number
}

/** The audience of our tokens: a JWT signed with the same secret for another API is refused. */
const AUDIENCE = 'realtime'

/** Issues and verifies short-lived HS256 JWTs with one secret. */
export class TokenIssuer {
  readonly #secret: Uint8Array

  /** @param secret at least 32 random bytes; a fresh random one by default (tokens die with the process). */
  constructor(
    secret: Uint8Array = randomBytes(32),
    /** Lifetime of the tokens `issue` signs, in seconds. */
    readonly ttlSeconds = 60,
  ) {
    if (secret.byteLength < 32) throw new RangeError('An HS256 secret needs at least 32 bytes')
    this.#secret = secret
  }

  /** Signs a token for `user` that expires `ttlSeconds` from now. */
  async issue(user: string, ttlSeconds = this.ttlSeconds): Promise<{ token: string; expiresAt: number }> {
    const exp = Math.floor(Date.now() / 1000) + ttlSeconds
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.#secret)
    return { token, expiresAt: exp * 1000 }
  }

  /**
   * Checks signature, algorithm, audience and expiry.
   * @throws RealtimeError `UNAUTHORIZED`, saying only whether the token expired: the client learns nothing else.
   */
  async verify(token: unknown): Promise<TokenUser> {
    if (typeof token !== 'string') throw new RealtimeError(ErrorCode.Unauthorized, 'A token is required')
    try {
      const { payload } = await jwtVerify(token, this.#secret, { algorithms: ['HS256'], audience: AUDIENCE, requiredClaims: ['sub', 'exp'] })
      return { user: payload.sub as string, exp: payload.exp as number }
    } catch (error) {
      const expired = error instanceof errors.JWTExpired
      throw new RealtimeError(ErrorCode.Unauthorized, expired ? 'The token expired' : 'Invalid token', { cause: error })
    }
  }
}
