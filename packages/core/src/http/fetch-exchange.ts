import type { HttpExchange, HttpStream } from './http-exchange.js'
import { FetchStream } from './fetch-stream.js'
import { readText } from './read-text.js'

/**
 * An {@link HttpExchange} over the fetch API: a `Request`, answered by the `Response` that
 * `answer` resolves with (for `rt.handleRequest` in fetch-API runtimes).
 */
export class FetchExchange implements HttpExchange {
  readonly method: string
  readonly url: string
  /** The answer, once the transport gives one. */
  readonly answer: Promise<Response>
  #resolve!: (response: Response) => void
  #request: Request | undefined
  readonly #query: URLSearchParams

  constructor(
    request: Request,
    /** The parsed `request.url`. */
    parsed: URL,
    readonly remoteAddress: string,
  ) {
    this.#request = request
    this.method = request.method
    this.url = parsed.pathname + parsed.search
    this.#query = parsed.searchParams
    this.answer = new Promise((resolve) => (this.#resolve = resolve))
  }

  param(name: string): string | null {
    return this.#query.get(name)
  }

  header(name: string): string | null {
    return this.#request?.headers.get(name) ?? null
  }

  headers(): Record<string, string> {
    return this.#request === undefined ? {} : Object.fromEntries(this.#request.headers)
  }

  readText(maxBytes: number, timeoutMs: number): Promise<string> {
    return readText(this.#request as Request, maxBytes, timeoutMs)
  }

  reply(status: number, headers: Record<string, string>, body?: string): undefined {
    this.#request = undefined
    this.#resolve(new Response(body === undefined || status === 204 ? null : body, { status, headers }))
  }

  stream(status: number, headers: Record<string, string>): HttpStream {
    const stream = new FetchStream(this.#request?.signal)
    this.#request = undefined
    this.#resolve(new Response(stream.body, { status, headers }))
    return stream
  }

  onAbort(listener: () => void): void {
    this.#request?.signal.addEventListener('abort', listener, { once: true })
  }
}
