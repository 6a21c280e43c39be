/**
 * One HTTP request of an HTTP transport and the means to answer it, whatever serves it: a Node.js
 * `IncomingMessage`/`ServerResponse` pair (`rt.attach`: no fetch objects are built) or a fetch-API
 * `Request` answered with a `Response` (`rt.handleRequest`). The transports speak only this, so
 * both runtimes run the same code.
 */
export interface HttpExchange {
  /** The request method, upper case. */
  readonly method: string
  /** Path and query, e.g. `/realtime?transport=sse&sid=…`. */
  readonly url: string
  /** IP address of the peer; empty when the runtime does not say. */
  readonly remoteAddress: string
  /** A query parameter, or null without it. */
  param(name: string): string | null
  /** A request header (lower-case name), or null without it; repeated ones joined with `, `. */
  header(name: string): string | null
  /** Every request header, with lower-case names. */
  headers(): Record<string, string | string[] | undefined>
  /**
   * Reads the body as UTF-8 text, refusing more than `maxBytes` before reading it all, and giving
   * up when it has not arrived whole within `timeoutMs`.
   * @throws RealtimeError `PAYLOAD_TOO_LARGE`, `TIMEOUT` or `BAD_FRAME` (not UTF-8).
   */
  readText(maxBytes: number, timeoutMs: number): Promise<string>
  /**
   * Answers with a whole body (none when undefined), head and body in one write where the runtime
   * allows. Returns the response while it is still being sent (a Node.js response whose bytes are
   * not all with the operating system yet), or undefined once nothing of it is buffered here.
   */
  reply(status: number, headers: Record<string, string>, body?: string): HttpStream | undefined
  /**
   * Starts a streamed answer. Where the runtime allows (Node.js), the head leaves with the first
   * write to the stream, so that it and the first events go in one write.
   */
  stream(status: number, headers: Record<string, string>): HttpStream
  /**
   * Calls `listener` once if the client goes away before an answer has started (a held long-poll
   * whose client left). Nothing more is kept of the request than what answering it needs.
   */
  onAbort(listener: () => void): void
}

/** A response on its way to the client: streamed (server-sent events) or whole but not yet sent. */
export interface HttpStream {
  /** Appends `text` to the body. */
  write(text: string): void
  /** Ends the body, with `text` as its last part. */
  end(text?: string): void
  /**
   * Ends the response at once, cleanly: what the client's side has not taken yet is dropped where
   * it still can be (a fetch-API stream), and sent after all where it cannot (a Node.js response).
   */
  stop(): void
  /** Cuts the response off at once, and its connection with it, dropping what was not sent. */
  destroy(): void
  /** Characters written but not yet taken by the client's side (bytes, for ASCII). */
  readonly writableLength: number
  /** Whether the response is over: true from when the `onClose` listeners are called. */
  readonly closed: boolean
  /** Calls `listener` once the response is over: all of it sent, the client gone, or cut off. */
  onClose(listener: () => void): void
}
