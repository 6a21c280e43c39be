/** Options the server halves of the HTTP transports (server-sent events, long-polling) share. */
export interface HttpTransportOptions {
  /**
   * Milliseconds a POST body may take to arrive whole. A slower one is answered 408 `TIMEOUT` and
   * its frames are dropped; the bundled client then reconnects. Raise it for clients that post
   * large payloads over slow links.
   * @default 10000
   */
  bodyTimeoutMs?: number
  /**
   * Frames (non-empty lines) one POST body may hold. A body with more is answered 413
   * `PAYLOAD_TOO_LARGE` and the session closes with 1009, as for a body over `maxPayload`. The
   * bundled client puts at most 100 frames in a POST: keep it at 100 or more.
   * @default 1000
   */
  maxFramesPerPost?: number
}

/** {@link HttpTransportOptions} with their defaults applied. */
export function httpTransportDefaults(options: HttpTransportOptions): Required<HttpTransportOptions> {
  return { bodyTimeoutMs: options.bodyTimeoutMs ?? 10_000, maxFramesPerPost: options.maxFramesPerPost ?? 1000 }
}
