import type { NodeResponseLike } from '../transport.js'
import type { HttpStream } from './http-exchange.js'

/**
 * An {@link HttpStream} over a Node.js `ServerResponse` whose answer has started: the response
 * and nothing else, so that a held event stream keeps no more than Node.js keeps anyway (the
 * request and what reading it needed are let go).
 */
export class NodeStream implements HttpStream {
  readonly #response: NodeResponseLike

  constructor(response: NodeResponseLike) {
    this.#response = response
  }

  get writableLength(): number {
    return this.#response.writableLength
  }

  /** Node.js's `closed` of the response (set before its `close` event). */
  get closed(): boolean {
    return this.#response.closed === true
  }

  write(text: string): void {
    if (text.length === 0) return
    this.#response.write(text)
    // Node.js keeps the head's text until the first write has sent it.
    forgetSentHead(this.#response)
  }

  end(text?: string): void {
    this.#response.end(text)
  }

  stop(): void {
    this.#response.end()
  }

  destroy(): void {
    this.#response.destroy()
  }

  onClose(listener: () => void): void {
    const response = this.#response
    if (response.closed === true) return listener()
    onceClosed(response, listener)
  }
}

/**
 * Calls `listener` when `response` closes (which it does once). With `on` rather than `once`,
 * which would wrap it in a bound function and a state object for every response.
 */
export function onceClosed(response: NodeResponseLike, listener: () => void): void {
  const on = (response as { on?: NodeResponseLike['once'] }).on
  if (typeof on === 'function') on.call(response, 'close', listener)
  else response.once('close', listener)
}

/** What `_header` holds once the head has left: Node.js reads it then only to tell that it did. */
const SENT_HEAD = 'HTTP/1.1 (head sent)\r\n\r\n'

/**
 * Node.js keeps a response's head as text (`_header`, ~260 bytes for an event stream) for as long
 * as the response lasts, but once the head has left (`_headerSent`, set by the first write) it
 * reads it only for its truthiness (`headersSent`, the "headers already sent" checks): an event
 * stream lets go of its copy. Both are Node.js's own fields; where they are absent (another
 * runtime's response), this does nothing.
 * @see https://github.com/nodejs/node/blob/v20.x/lib/_http_outgoing.js (`_send`, `headersSent`)
 */
function forgetSentHead(response: NodeResponseLike): void {
  const outgoing = response as { _header?: unknown; _headerSent?: unknown }
  if (outgoing._headerSent === true && typeof outgoing._header === 'string') outgoing._header = SENT_HEAD
}
