import { ErrorCode, TokenBucket, type ErrorPayload } from '@org/realtime-core'

/**
 * Rate and count limits. On by default: a client over a rate gets `RATE_LIMITED` with
 * `retryAfterMs` and its frame is not processed; one that keeps pushing is closed with 4429.
 */
export interface RateLimitOptions {
  /**
   * Frames (events, publishes, subscription requests) a connection may send per second, sustained.
   * @default 50
   */
  messagesPerSecond?: number
  /**
   * Frames a connection may send at once before `messagesPerSecond` applies.
   * @default 100
   */
  burst?: number
  /**
   * Bytes a connection may send per second, sustained, counting every frame.
   * @default 1048576 (1 MiB)
   */
  bytesPerSecond?: number
  /**
   * Bytes a connection may send at once; keep it at least `maxPayload`.
   * @default 2097152 (2 MiB)
   */
  bytesBurst?: number
  /**
   * What an event (or a publish of it) costs in the `messagesPerSecond` budget, by event name:
   * `{ typing: 0.2 }` lets five typing notices through for one message.
   * @default 1 for every event
   */
  eventCost?: Record<string, number>
  /**
   * Refused frames tolerated (refilling at one per second) before the connection is closed with 4429.
   * @default 20
   */
  abuseTolerance?: number
  /**
   * Handshakes one IP address may start per second, sustained (bursts of `handshakeBurstPerIp`).
   * @default 20
   */
  handshakesPerSecondPerIp?: number
  /**
   * Handshakes one IP address may start at once.
   * @default 50
   */
  handshakeBurstPerIp?: number
  /**
   * Open connections per IP address. Behind a proxy every client shares its address: set `trustProxy`, or raise it.
   * @default 1000
   */
  connectionsPerIp?: number
  /**
   * Rooms a connection may be in when it asks to subscribe to one more. A `sub` frame costs one
   * frame of `burst` per channel it adds, so keep `burst` at least this high: a client restores
   * all its channels at once after a reconnect.
   * @default 100
   */
  subscriptionsPerConnection?: number
  /**
   * Dropped sessions from one IP address that may wait for their client to resume them
   * (`recovery.windowMs`). When one more drops, the one that has waited longest ends at once, as
   * if its window had run out. Behind a proxy every client shares its address: set `trustProxy`, or raise it.
   * @default 100
   */
  detachedSessionsPerIp?: number
}

/** The options with their defaults filled in. */
export type RateLimits = Required<RateLimitOptions>

/** Fills in the defaults. */
export function rateLimits(options: RateLimitOptions = {}): RateLimits {
  return {
    messagesPerSecond: options.messagesPerSecond ?? 50,
    burst: options.burst ?? 100,
    bytesPerSecond: options.bytesPerSecond ?? 1_048_576,
    bytesBurst: options.bytesBurst ?? 2_097_152,
    // Without a prototype: an event named `toString` or `constructor` costs 1 like any other.
    eventCost: Object.assign(Object.create(null) as Record<string, number>, options.eventCost),
    abuseTolerance: options.abuseTolerance ?? 20,
    handshakesPerSecondPerIp: options.handshakesPerSecondPerIp ?? 20,
    handshakeBurstPerIp: options.handshakeBurstPerIp ?? 50,
    connectionsPerIp: options.connectionsPerIp ?? 1000,
    subscriptionsPerConnection: options.subscriptionsPerConnection ?? 100,
    detachedSessionsPerIp: options.detachedSessionsPerIp ?? 100,
  }
}

/**
 * The budgets of one connection. Each bucket is created when first charged: until then it would
 * be full, as a new one is, so an idle connection carries none.
 */
export class ConnectionLimiter {
  readonly #limits: RateLimits
  #messages: TokenBucket | undefined
  #bytes: TokenBucket | undefined
  #abuse: TokenBucket | undefined

  constructor(limits: RateLimits) {
    this.#limits = limits
  }

  /** Charges a frame of `bytes`; returns the refusal, or undefined when it may be processed. */
  chargeBytes(bytes: number): ErrorPayload | undefined {
    this.#bytes ??= new TokenBucket(this.#limits.bytesPerSecond, this.#limits.bytesBurst)
    return refusal(this.#bytes.take(bytes), 'bytes')
  }

  /** Charges an event, publish or subscription request; returns the refusal, if any. */
  chargeMessage(event?: string): ErrorPayload | undefined {
    const cost = event === undefined ? 1 : (this.#limits.eventCost[event] ?? 1)
    this.#messages ??= new TokenBucket(this.#limits.messagesPerSecond, this.#limits.burst)
    return refusal(this.#messages.take(cost), 'frames')
  }

  /** Charges `count` frames' worth (a `sub` naming channels the connection is not in yet); returns the refusal, if any. */
  chargeFrames(count: number): ErrorPayload | undefined {
    this.#messages ??= new TokenBucket(this.#limits.messagesPerSecond, this.#limits.burst)
    return refusal(this.#messages.take(count), 'frames')
  }

  /** Counts a refused frame; true when the connection has been refused too often and must close. */
  abusive(): boolean {
    this.#abuse ??= new TokenBucket(1, this.#limits.abuseTolerance)
    return this.#abuse.take() > 0
  }
}

/** Handshake rates and connection counts per IP address. */
export class AddressLimiter {
  readonly #limits: RateLimits
  readonly #handshakes = new Map<string, TokenBucket>()
  readonly #connections = new Map<string, number>()

  constructor(limits: RateLimits) {
    this.#limits = limits
  }

  /** Admits a new connection from `address`, or returns why not. Admitted ones must be `release`d. */
  admit(address: string): ErrorPayload | undefined {
    // Without an address (a fetch-API runtime that was not told it) there is nothing to key on.
    if (address === '') return undefined
    const open = this.#connections.get(address) ?? 0
    if (open >= this.#limits.connectionsPerIp) {
      return { code: ErrorCode.LimitExceeded, message: `Too many connections from this address (${this.#limits.connectionsPerIp})` }
    }
    let bucket = this.#handshakes.get(address)
    if (bucket === undefined) {
      bucket = new TokenBucket(this.#limits.handshakesPerSecondPerIp, this.#limits.handshakeBurstPerIp)
      this.#handshakes.set(address, bucket)
    }
    const refused = refusal(bucket.take(), 'handshakes')
    if (refused !== undefined) return refused
    this.#connections.set(address, open + 1)
    return undefined
  }

  /** A connection admitted from `address` ended. */
  release(address: string): void {
    if (address === '') return
    const open = (this.#connections.get(address) ?? 1) - 1
    if (open > 0) this.#connections.set(address, open)
    else this.#connections.delete(address)
  }

  /** Forgets the handshake budgets that are full again, so idle addresses cost nothing. */
  sweep(): void {
    for (const [address, bucket] of this.#handshakes) if (bucket.full) this.#handshakes.delete(address)
  }
}

function refusal(retryAfterMs: number, what: string): ErrorPayload | undefined {
  if (retryAfterMs === 0) return undefined
  return { code: ErrorCode.RateLimited, message: `Too many ${what}: slow down`, retryAfterMs }
}
