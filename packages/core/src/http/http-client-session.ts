import type { ClientSocket, ClientSocketListener } from '../transport.js'
import { HttpRefusal, KEY_HEADER, NORMAL_CLOSE, closeCodeOf, withQuery } from './client-helpers.js'
import { PostQueue } from './post-queue.js'
import { unrefTimer } from './timers.js'

/**
 * Milliseconds the DELETE that closes a session waits for the answer to a POST in flight, so that
 * it reaches the server after that POST: nothing of the session's may arrive after its DELETE.
 */
const DELETE_AFTER_POST_MS = 1000

/**
 * The client side of an HTTP transport session, whatever brings the frames down: it posts frames
 * up once the session has an id and key, ends the session with a DELETE when the client closes,
 * and reports the close to the listener exactly once. The key goes in a header of every request,
 * never in the URL.
 */
export class HttpClientSession implements ClientSocket {
  readonly #listener: ClientSocketListener
  /** The fetch implementation of every request: the transport's `fetch` option, or the global one. */
  readonly fetch: typeof fetch
  /** `RequestInit.credentials` of every request: `include` with the transport's `withCredentials`. */
  readonly credentials: RequestCredentials
  #post: PostQueue | undefined
  #sessionUrl: string | undefined
  /**
   * The headers and credentials of POSTs and the DELETE: the session's key. (A POST's text body
   * gets `content-type: text/plain;charset=UTF-8` from fetch, a type that needs no CORS preflight.)
   */
  #init: { headers: Record<string, string>; credentials: RequestCredentials } | undefined
  #finished = false
  /** Stops bringing frames down: closes the event stream, aborts the long-poll. */
  stopDelivery: () => void = () => {}
  /**
   * The number of the next frame to hand over, once the server numbers its frames (it said so when
   * the session opened); -1 before.
   */
  #next = -1
  /** Numbered frames that came before some numbered lower, by the number of the first of each batch. */
  #early: Map<number, string[]> | undefined
  /** The close, once every frame numbered below `#closeAt` is handed over. */
  #close: (() => void) | undefined
  #closeAt = 0

  constructor(listener: ClientSocketListener, options: { fetch?: typeof fetch; withCredentials?: boolean }) {
    this.#listener = listener
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis)
    this.credentials = options.withCredentials ? 'include' : 'same-origin'
  }

  /** Whether the connection has ended. */
  get finished(): boolean {
    return this.#finished
  }

  /** The server opened the session at `sessionUrl`, with `key`: frames may go up now. */
  started(sessionUrl: string, key: string): void {
    if (this.#sessionUrl !== undefined || this.#finished) return
    this.#sessionUrl = sessionUrl
    this.#init = { headers: { [KEY_HEADER]: key }, credentials: this.credentials }
    this.#post = new PostQueue({ url: sessionUrl, fetch: this.fetch, init: this.#init, onFailure: (code, reason) => this.finish(code, reason), onAnswer: (body) => this.#answered(body) })
    this.#listener.open()
  }

  /** Hands a frame that came down to the listener. */
  received(frame: string): void {
    if (!this.#finished) this.#listener.message(frame)
  }

  /**
   * The server numbers the frames it sends from `first` on, and answers POSTs with the frames they
   * caused: their answers and the frames that come down otherwise may arrive out of order.
   */
  numberFrom(first: number): void {
    this.#next = first
  }

  /**
   * Hands over `frames`, numbered from `first`, in the order of their numbers: after the frames
   * numbered before them, which may still be on their way. Frames handed over already are skipped.
   */
  receivedNumbered(first: number, frames: string[]): void {
    if (first >= this.#next && frames.length > 0) (this.#early ??= new Map()).set(first, frames)
    const early = this.#early
    for (let batch = early?.get(this.#next); batch !== undefined; batch = early?.get(this.#next)) {
      early?.delete(this.#next)
      this.#next += batch.length
      for (const frame of batch) this.received(frame)
    }
    if (this.#close !== undefined && this.#next >= this.#closeAt) this.#close()
  }

  /**
   * Ends the connection like `finish`, once every frame numbered below `next` is handed over. Nothing
   * more comes down meanwhile: delivery stops, and its end or failure no longer ends the connection
   * (the POST still on its way either answers or fails, which does).
   */
  finishAfter(next: number, code: number, reason: string): void {
    this.#close = () => this.finish(code, reason)
    this.#closeAt = next
    this.stopDelivery()
    this.receivedNumbered(next, [])
  }

  /** The event stream or long-poll ended: so does the connection, unless its close waits for frames (`finishAfter`). */
  deliveryEnded(code: number, reason: string): void {
    if (this.#close === undefined) this.finish(code, reason)
  }

  /** Whether the server numbers its frames (it said so when the session opened). */
  get numbered(): boolean {
    return this.#next >= 0
  }

  /** The body of a POST answered 200: the number of its first frame, then the frames, one per line. */
  #answered(body: string): void {
    const lines = body.split('\n')
    if (this.numbered && lines.length > 1) this.receivedNumbered(Number(lines[0]), lines.slice(1))
  }

  /** Ends the connection and reports it, once; `status`: the HTTP status that refused it. */
  finish(code: number, reason: string, status?: number): void {
    if (this.#finished) return
    this.#finished = true
    this.stopDelivery()
    this.#post?.close()
    this.#listener.close(code, reason, status)
  }

  /** Ends the connection for `error`, a request's failure: with its HTTP status when it is an {@link HttpRefusal}. */
  fail(error: unknown): void {
    // The close came, and waits for frames on their way: what fails now is the delivery it stopped.
    if (this.#close !== undefined) return
    const status = error instanceof HttpRefusal ? error.status : undefined
    this.finish(closeCodeOf(error), error instanceof Error ? error.message : 'the request failed', status)
  }

  send(frame: string): void {
    this.#post?.send(frame)
  }

  /**
   * Ends the session with a DELETE, the last request of the session: frames not posted yet are
   * dropped, and a POST in flight is answered first (waiting at most 1 s).
   * Without one the DELETE leaves at once, as a page that is being unloaded needs.
   */
  close(code: number = NORMAL_CLOSE, reason = ''): void {
    if (this.#sessionUrl !== undefined && !this.#finished) {
      // The code tells the server whether the client left on purpose (1000) or gave up on a failing connection.
      const url = withQuery(this.#sessionUrl, { code: String(code) })
      const init: RequestInit = { ...this.#init, method: 'DELETE', keepalive: true }
      let sent = false
      const remove = (): void => {
        if (sent) return
        sent = true
        clearTimeout(timer)
        void this.fetch(url, init).catch(() => {})
      }
      // Without a POST in flight the DELETE leaves now, in this turn, as a page being unloaded needs.
      const post = this.#post as PostQueue
      const timer = post.inFlight ? unrefTimer(remove, DELETE_AFTER_POST_MS) : undefined
      post.whenIdle(remove)
    }
    this.finish(code, reason)
  }

  setMaxPayload(bytes: number): void {
    this.#post?.setMaxBytes(bytes)
  }
}
