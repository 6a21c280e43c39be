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
    if (text.length > 0) this.#response.write(text)
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
