/** Options of {@link PostQueue}. */
export interface PostQueueOptions {
  /** Where the frames go: the transport URL with `transport` and `sid`. */
  url: string
  /** The fetch implementation. */
  fetch: typeof fetch
  /** Called once when a POST fails: the connection is to be considered lost. */
  onFailure: (code: number, reason: string) => void
  /** What every POST carries besides its method and body: its headers (the session's key) and `credentials`. */
  init: { headers: Record<string, string>; credentials: RequestCredentials }
  /** Called with the body of a POST answered 200 (frames, for a transport whose server sends them there). */
  onAnswer: (body: string) => void
}

/**
 * Frames in one POST at most: the server refuses a body with more than its `maxFramesPerPost`
 * (1000 by default, documented to stay at 100 or more).
 */
const MAX_FRAMES = 100

/**
 * Counts bytes for batching. Not `utf8Length` from the codec: this file is loaded lazily with the
 * HTTP transports and must not share a module with the client's entry.
 */
const utf8 = new TextEncoder()

/**
 * Sends frames up in POST bodies, one frame per line, one POST at a time: frames sent while a POST
 * is in flight go together in the next one, which stays within `maxBytes` (the server's
 * `maxPayload`) unless a single frame is larger, and holds at most 100 frames.
 */
export class PostQueue {
  readonly #options: PostQueueOptions
  #pending: string[] = []
  #inFlight = false
  #closed = false
  #maxBytes = 1_048_576
  /** Called once no POST is in flight. */
  #whenIdle: Array<() => void> = []

  constructor(options: PostQueueOptions) {
    this.#options = options
  }

  /** Limits each POST body to `bytes`. */
  setMaxBytes(bytes: number): void {
    this.#maxBytes = bytes
  }

  send(frame: string): void {
    if (this.#closed) return
    this.#pending.push(frame)
    if (!this.#inFlight) void this.#flush()
  }

  /** Whether a POST is on its way, not yet answered. */
  get inFlight(): boolean {
    return this.#inFlight
  }

  /** Calls `callback` once no POST is in flight: at once when none is, else when the one in flight is answered or fails. */
  whenIdle(callback: () => void): void {
    if (this.#inFlight) this.#whenIdle.push(callback)
    else callback()
  }

  /** Stops sending; frames not yet posted are dropped (a POST in flight goes on). */
  close(): void {
    this.#closed = true
    this.#pending = []
  }

  async #flush(): Promise<void> {
    this.#inFlight = true
    while (this.#pending.length > 0 && !this.#closed) {
      const body = this.#takeBatch()
      try {
        const response = await this.#options.fetch(this.#options.url, { ...this.#options.init, method: 'POST', body })
        if (response.status === 200) this.#options.onAnswer(await response.text())
        else await response.body?.cancel()
        if (!response.ok) return this.#fail(1006, `POST answered ${response.status}`)
      } catch (error) {
        return this.#fail(1006, error instanceof Error ? error.message : 'POST failed')
      }
    }
    this.#settle()
  }

  #settle(): void {
    this.#inFlight = false
    for (const callback of this.#whenIdle.splice(0)) callback()
  }

  #takeBatch(): string {
    let bytes = 0
    let count = 0
    for (const frame of this.#pending) {
      const size = utf8.encode(frame).byteLength + 1
      if (count === MAX_FRAMES || (count > 0 && bytes + size > this.#maxBytes)) break
      bytes += size
      count++
    }
    return this.#pending.splice(0, count).join('\n')
  }

  #fail(code: number, reason: string): void {
    this.#settle()
    if (this.#closed) return
    this.close()
    this.#options.onFailure(code, reason)
  }
}
