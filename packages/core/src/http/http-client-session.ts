import type { ClientSocket, ClientSocketListener } from '../transport.js'
import { NORMAL_CLOSE, withQuery } from './client-helpers.js'
import { PostQueue } from './post-queue.js'

/**
 * The client side of an HTTP transport session, whatever brings the frames down: it posts frames
 * up once the session has an id, ends the session with a DELETE when the client closes, and
 * reports the close to the listener exactly once.
 */
export class HttpClientSession implements ClientSocket {
  readonly #listener: ClientSocketListener
  readonly #fetch: typeof fetch
  readonly #credentials: RequestCredentials
  #post: PostQueue | undefined
  #sessionUrl: string | undefined
  #finished = false
  /** Stops bringing frames down: closes the event stream, aborts the long-poll. */
  stopDelivery: () => void = () => {}

  constructor(listener: ClientSocketListener, fetchImpl: typeof fetch, credentials: RequestCredentials) {
    this.#listener = listener
    this.#fetch = fetchImpl
    this.#credentials = credentials
  }

  /** Whether the connection has ended. */
  get finished(): boolean {
    return this.#finished
  }

  /** The server opened the session at `sessionUrl`: frames may go up now. */
  started(sessionUrl: string): void {
    if (this.#sessionUrl !== undefined || this.#finished) return
    this.#sessionUrl = sessionUrl
    this.#post = new PostQueue({ url: sessionUrl, fetch: this.#fetch, credentials: this.#credentials, onFailure: (code, reason) => this.finish(code, reason) })
    this.#listener.open()
  }

  /** Hands a frame that came down to the listener. */
  received(frame: string): void {
    if (!this.#finished) this.#listener.message(frame)
  }

  /** Ends the connection and reports it, once. */
  finish(code: number, reason: string): void {
    if (this.#finished) return
    this.#finished = true
    this.stopDelivery()
    this.#post?.close()
    this.#listener.close(code, reason)
  }

  send(frame: string): void {
    this.#post?.send(frame)
  }

  close(code: number = NORMAL_CLOSE, reason = ''): void {
    if (this.#sessionUrl !== undefined && !this.#finished) {
      // The code tells the server whether the client left on purpose (1000) or gave up on a failing connection.
      const url = withQuery(this.#sessionUrl, { code: String(code) })
      void this.#fetch(url, { method: 'DELETE', credentials: this.#credentials, keepalive: true }).catch(() => {})
    }
    this.finish(code, reason)
  }

  setMaxPayload(bytes: number): void {
    this.#post?.setMaxBytes(bytes)
  }
}
