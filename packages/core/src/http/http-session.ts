import { ErrorCode, RealtimeError } from '../errors.js'
import type { ServerSocket, ServerSocketListener } from '../transport.js'
import { readText } from './read-text.js'

/**
 * One connection of an HTTP transport: frames go down by the transport's own means (an event
 * stream, long-poll responses) and come up in POST bodies, one frame per line.
 */
export abstract class HttpSession implements ServerSocket {
  /** Where the connection's frames go; set right after the server accepted the session. */
  listener: ServerSocketListener | undefined
  #posting = false
  #grace: ReturnType<typeof setTimeout> | undefined
  #ended = false

  constructor(
    /** Session id, `<transport prefix>_<random>`. */
    readonly id: string,
    /** Milliseconds the session may go without a client request before it is dropped. */
    readonly graceMs: number,
    /** Removes the session from its transport's registry. */
    readonly remove: () => void,
  ) {
    this.detach()
  }

  abstract send(frame: string): void
  abstract get bufferedAmount(): number
  /** Delivers the close marker, or keeps it for the next request; `remove()`s the session once delivered. */
  protected abstract deliverClose(code: number, reason: string): void
  /** Ends any response in progress at once. */
  protected abstract abort(): void

  /** Whether the server side is done with the session (closed or terminated). */
  get ended(): boolean {
    return this.#ended
  }

  close(code: number, reason = ''): void {
    if (this.#ended) return
    this.deliverClose(code, reason)
    this.#end(code, reason)
  }

  terminate(): void {
    this.#drop(1006, 'terminated')
  }

  /** The client asked to close (DELETE) with `code`: nothing more is delivered. */
  closedByClient(code: number): void {
    this.#drop(code, 'closed by the client')
  }

  #drop(code: number, reason: string): void {
    this.abort()
    this.remove()
    if (!this.#ended) this.#end(code, reason)
  }

  /**
   * Hands the frames of a POST body to the listener.
   * @throws RealtimeError `REQUEST_IN_FLIGHT`, `PAYLOAD_TOO_LARGE` or `BAD_FRAME` (not UTF-8).
   */
  async receive(request: Request, maxPayload: number): Promise<void> {
    if (this.#posting) throw new RealtimeError(ErrorCode.RequestInFlight, 'Another POST for this session is in flight')
    this.#posting = true
    try {
      const body = await readText(request, maxPayload)
      for (const line of body.split('\n')) if (line.length > 0 && !this.#ended) this.listener?.message(line)
    } finally {
      this.#posting = false
    }
  }

  /** A client request is attached: the session is alive. */
  protected attach(): void {
    clearTimeout(this.#grace)
    this.#grace = undefined
  }

  /** No client request is attached: the session is dropped unless one arrives within `graceMs`. */
  protected detach(): void {
    clearTimeout(this.#grace)
    this.#grace = setTimeout(() => (this.#ended ? this.remove() : this.terminate()), this.graceMs)
  }

  #end(code: number, reason: string): void {
    this.#ended = true
    this.listener?.close(code, reason)
  }
}
