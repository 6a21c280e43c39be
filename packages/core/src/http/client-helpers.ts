/**
 * Close codes the client half reports, as numbers rather than `CloseCode`: this file is loaded
 * lazily with the SSE and long-polling transports, and importing the errors module, which the
 * client's entry loads too, would make bundlers split it into a chunk of its own.
 */
export const NORMAL_CLOSE = 1000
/** See {@link NORMAL_CLOSE}. */
export const ABNORMAL_CLOSE = 1006
const UNAUTHORIZED_CLOSE = 4401
const FORBIDDEN_CLOSE = 4403

/**
 * The request header that carries a session's key on every request after the open (never the
 * URL, which logs and proxies keep).
 */
export const KEY_HEADER = 'x-realtime-key'

/** `url` (absolute, or relative to the page) with `params` set in its query. */
export function withQuery(url: string, params: Record<string, string>): string {
  const target = new URL(url, (globalThis as { location?: { href: string } }).location?.href)
  for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value)
  return target.toString()
}

/** A request of an HTTP transport that the server answered with an error status. */
export class HttpRefusal extends Error {
  constructor(readonly status: number) {
    super(`the server answered HTTP ${status}`)
  }
}

/**
 * The close code an HTTP transport reports for `error`: 401 and 403 refuse for good, like the
 * WebSocket close codes 4401 and 4403; anything else is a lost connection, retried.
 */
export function closeCodeOf(error: unknown): number {
  const status = error instanceof HttpRefusal ? error.status : 0
  return status === 403 ? FORBIDDEN_CLOSE : status === 401 ? UNAUTHORIZED_CLOSE : ABNORMAL_CLOSE
}

/** The `x-realtime-close` header of the long-polling transport: `<code> <reason, URI-encoded>`. */
export function formatCloseHeader(code: number, reason: string): string {
  return reason === '' ? String(code) : `${code} ${encodeURIComponent(reason)}`
}

/** Reads an `x-realtime-close` header; an unreadable one counts as a lost connection. */
export function parseCloseHeader(header: string): { code: number; reason: string } {
  // Header values come trimmed (fetch strips the whitespace around them).
  const match = /^(\d{4})(?: (.*))?$/.exec(header)
  if (match === null) return { code: ABNORMAL_CLOSE, reason: 'unreadable close header' }
  return { code: Number(match[1]), reason: decodeURIComponent(match[2] ?? '') }
}
