import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { ErrorCode, type Logger } from '@org/realtime-core'
import { errorResponse } from '@org/realtime-core/http'

/** Answers a fetch-API request. */
export type FetchHandler = (request: Request, remoteAddress: string) => Promise<Response>

/**
 * Serves `handler` on a Node.js HTTP request: the request becomes a fetch `Request` (its signal
 * aborts when the client goes away) and the `Response` body is streamed back chunk by chunk, so
 * server-sent events reach the client as they are written.
 */
export async function serveWithFetch(request: IncomingMessage, response: ServerResponse, handler: FetchHandler, logger: Logger): Promise<void> {
  const aborted = new AbortController()
  // Only a response that did not finish means the client went away: aborting builds an error and runs listeners.
  response.once('close', () => {
    if (!response.writableFinished) aborted.abort()
  })
  let answer: Response
  try {
    answer = await handler(toFetchRequest(request, aborted.signal), request.socket.remoteAddress ?? '')
  } catch (error) {
    // A request Node.js accepted but the fetch API cannot represent (a malformed Host header…).
    if (error instanceof TypeError) answer = errorResponse(400, ErrorCode.BadRequest, 'Malformed request')
    else {
      logger.error('HTTP transport failed', { error })
      answer = errorResponse(500, ErrorCode.Internal, 'Internal error')
    }
  }
  const headers = Object.fromEntries(answer.headers)
  // A body refused before it was read whole (413) cannot be skipped on a kept-alive connection.
  if (request.method !== 'GET' && request.method !== 'HEAD' && !request.complete) {
    headers.connection = 'close'
    response.once('finish', () => request.socket.destroy())
  }
  response.writeHead(answer.status, headers)
  if (answer.body === null) {
    response.end()
    return
  }
  // A streamed body (server-sent events) must reach the client before its first chunk is ready.
  response.flushHeaders()
  const reader = answer.body.getReader()
  aborted.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true })
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      // Honour backpressure, so a client that does not read shows up in the transport's bufferedAmount.
      if (!response.write(value)) await new Promise((resolve) => response.once('drain', resolve).once('close', resolve))
    }
  } catch {
    // The stream was errored (session terminated) or cancelled (client gone).
  }
  response.end()
}

function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const item of value) headers.append(name, item)
    else headers.set(name, value)
  }
  return headers
}

function toFetchRequest(request: IncomingMessage, signal: AbortSignal): Request {
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD'
  return new Request(`http://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`, {
    method: request.method ?? 'GET',
    headers: headersOf(request),
    body: hasBody ? (Readable.toWeb(request) as ReadableStream<Uint8Array>) : null,
    signal,
    ...(hasBody ? { duplex: 'half' } : {}),
  } as RequestInit)
}
