import { ErrorCode, RealtimeError } from '../errors.js'
import type { NodeRequestLike, NodeResponseLike } from '../transport.js'
import type { HttpExchange, HttpStream } from './http-exchange.js'
import { shareSocketListenerWrappers } from './node-socket-methods.js'
import { NodeStream, onceClosed } from './node-stream.js'
import { decodeUtf8, tooLarge } from './read-text.js'
import { sharedText } from './shared-text.js'

/**
 * An {@link HttpExchange} over a Node.js `IncomingMessage` and `ServerResponse`, served directly:
 * no fetch `Request` or `Response` is built, the body is read from the request's own events, and
 * an answer is written to the response as text. An answer that has started goes on as a
 * {@link NodeStream}, which holds the response alone; what only reading the request needed (its
 * query, its raw header lines, the text of a head already sent) is let go then.
 */
export class NodeExchange implements HttpExchange {
  readonly method: string
  readonly url: string
  readonly #request: NodeRequestLike
  readonly #response: NodeResponseLike
  #query: URLSearchParams | undefined

  constructor(request: NodeRequestLike, response: NodeResponseLike) {
    this.#request = request
    this.#response = response
    this.method = request.method ?? 'GET'
    const url = request.url ?? '/'
    this.url = url
    // A GET that opens a session (no `sid`) may be held for the whole connection, and its URL with
    // it (by the request, and by the handshake the server keeps): one copy for the many alike.
    if (this.method === 'GET' && typeof request.url === 'string' && !url.includes('sid=')) {
      this.url = sharedText(url)
      ;(request as { url?: string }).url = this.url
    }
  }

  get remoteAddress(): string {
    return this.#request.socket?.remoteAddress ?? ''
  }

  param(name: string): string | null {
    if (this.#query === undefined) {
      const start = this.url.indexOf('?')
      this.#query = new URLSearchParams(start === -1 ? '' : this.url.slice(start + 1))
    }
    return this.#query.get(name)
  }

  header(name: string): string | null {
    const value = this.#request.headers[name]
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
  }

  headers(): Record<string, string | string[] | undefined> {
    return this.#request.headers
  }

  readText(maxBytes: number, timeoutMs: number): Promise<string> {
    const request = this.#request
    if (Number(request.headers['content-length'] ?? Number.NaN) > maxBytes) return Promise.reject(tooLarge(maxBytes))
    return new Promise((resolve, reject) => {
      const chunks: Uint8Array[] = []
      let total = 0
      const settle = (error: RealtimeError | undefined): void => {
        clearTimeout(timer)
        request.off('data', onData)
        request.off('end', onEnd)
        request.off('close', onClose)
        request.off('error', onClose)
        if (error !== undefined) return reject(error)
        try {
          resolve(decodeUtf8(chunks, total))
        } catch (decodeError) {
          reject(decodeError as Error)
        }
      }
      const onData = (chunk: Uint8Array | string): void => {
        if (typeof chunk === 'string') return settle(new RealtimeError(ErrorCode.BadRequest, 'The body was read as text elsewhere'))
        total += chunk.byteLength
        if (total > maxBytes) return settle(tooLarge(maxBytes))
        chunks.push(chunk)
      }
      const onEnd = (): void => settle(undefined)
      const onClose = (): void => settle(new RealtimeError(ErrorCode.BadRequest, 'The body was cut off'))
      const timer = setTimeout(() => settle(new RealtimeError(ErrorCode.Timeout, `The body did not arrive within ${timeoutMs} ms`)), timeoutMs)
      request.on('data', onData)
      request.on('end', onEnd)
      request.on('close', onClose)
      request.on('error', onClose)
    })
  }

  reply(status: number, headers: Record<string, string>, body?: string): HttpStream | undefined {
    const response = this.#response
    this.#query = undefined
    const request = this.#request
    // A body refused before it was read whole (413, 408) cannot be skipped on a kept-alive connection.
    if (this.method !== 'GET' && this.method !== 'HEAD' && !request.complete) {
      headers = { ...headers, connection: 'close' }
      // The socket as it is now: by 'finish' Node.js may have let go of it.
      const socket = request.socket ?? response.socket
      response.once('finish', () => socket?.destroy())
    }
    // Head and body in one write: with the length known, Node.js sends them together.
    response.writeHead(status, body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) })
    response.end(body)
    return response.writableLength > 0 ? new NodeStream(response) : undefined
  }

  stream(status: number, headers: Record<string, string>): HttpStream {
    const response = this.#response
    // Node.js sends the head in front of the first chunk written: one write for both.
    response.writeHead(status, headers)
    this.#forgetRequest()
    return new NodeStream(response)
  }

  onAbort(listener: () => void): void {
    const response = this.#response
    // The request is held until the answer: it keeps no more than answering needs.
    this.#forgetRequest()
    onceClosed(response, () => {
      if (!response.writableFinished) listener()
    })
  }

  /**
   * Lets go of what only reading the request needed, once it is held for its answer (an event
   * stream, a long-poll): the parsed query; the request's `rawHeaders`, which Node.js keeps
   * beside the `headers` record already built from them (the header names as sent, and the
   * array); copies that the request and its socket hold of what every request has alike (an empty
   * `rawTrailers`, the `httpVersion` text, the socket's listener-method wrappers).
   */
  #forgetRequest(): void {
    this.#query = undefined
    const request = this.#request as NodeRequestLike & { rawHeaders?: unknown; rawTrailers?: unknown; httpVersion?: unknown }
    // Node.js builds `headers` from `rawHeaders` on first use (`checkCors` has used it): read it, then let them go.
    if (typeof request.headers === 'object' && Array.isArray(request.rawHeaders) && request.rawHeaders.length > 0) request.rawHeaders = NO_RAW_HEADERS
    // Trailers would come after a body, replacing the array rather than adding to it.
    if (Array.isArray(request.rawTrailers) && request.rawTrailers.length === 0) request.rawTrailers = NO_RAW_HEADERS
    // Node.js builds the text anew for each request.
    if (request.httpVersion === HTTP_1_1) request.httpVersion = HTTP_1_1
    shareSocketListenerWrappers(request.socket)
  }
}

/** The `rawHeaders` (and empty `rawTrailers`) of a request held for its answer: read (`headers` has them), and let go. */
const NO_RAW_HEADERS: readonly string[] = Object.freeze([])
/** One `httpVersion` text for every HTTP/1.1 request held. */
const HTTP_1_1 = '1.1'
