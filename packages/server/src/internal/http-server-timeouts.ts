import type { ServerOptions } from 'node:http'

/** Default of `ListenOptions.headersTimeoutMs`. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000
/** Default of `ListenOptions.requestTimeoutMs`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

/**
 * The time limits `listen` gives its HTTP server, as `http.createServer` takes them. Node.js checks
 * them on a timer (every 30 s by default, so a 10 s limit could hold a socket for 40 s): it ticks
 * every quarter of the shortest limit here, at most once a second.
 * @see https://nodejs.org/api/http.html#httpcreateserveroptions-requestlistener
 */
export function httpServerTimeouts(
  headersTimeoutMs = DEFAULT_HEADERS_TIMEOUT_MS,
  requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
): Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval'> {
  // Node.js refuses a limit on the headers longer than the one on the whole request.
  const headersTimeout = headersTimeoutMs > 0 && requestTimeoutMs > 0 ? Math.min(headersTimeoutMs, requestTimeoutMs) : headersTimeoutMs
  const limits = [headersTimeout, requestTimeoutMs].filter((limit) => limit > 0)
  const shortest = limits.length === 0 ? 4_000 : Math.min(...limits)
  return {
    headersTimeout,
    requestTimeout: requestTimeoutMs,
    connectionsCheckingInterval: Math.round(Math.max(10, Math.min(1_000, shortest / 4))),
  }
}
