import type { HttpExchange } from './http-exchange.js'

/** The headers of a JSON error body. */
const ERROR_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }

/** A JSON error body `{ code, message }` with `status`, as every HTTP transport answers failures. */
export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ code, message }), { status, headers: { ...headers, ...ERROR_HEADERS } })
}

/** Answers `exchange` with a JSON error body `{ code, message }` and `status`. */
export function replyError(exchange: HttpExchange, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  exchange.reply(status, { ...headers, ...ERROR_HEADERS }, JSON.stringify({ code, message }))
}
