import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { ErrorCode, type Logger } from '@org/realtime-core'
import { errorResponse } from '@org/realtime-core/http'

/** Answers a fetch-API request. */
export type FetchHandler = (request: Request, remoteAddress: string) => Promise<Response>

/**
 * Serves `handler` on a Node.js HTTP request: the request becomes a fetch `Request` (its signal
 * aborts when the client goes away) and the `Response` body is streamed back chunk by chunk, so
 * a streamed body reaches the client as it is written. For what no transport serves on Node.js
 * directly (`serve`): a transport that speaks only the fetch API, a request naming no transport.
 */
export async function serveWithFetch(request: IncomingMessage, response: ServerResponse, handler: FetchHandler, logger: Logger): Promise<void> {
  const aborted = new AbortController()
  // Only a response that did not finish means the client went away: aborting builds an error and runs listeners.
  const abortUnlessFinished = (): void => {
    if (!response.writableFinished) aborted.abort()
  }
  response.once('close', abortUnlessFinished)
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
  if (response.headersSent) {
    // Another request listener answered first: two answers to one request would throw.
    logger.warn('HTTP transport request answered by another request listener', { url: request.url })
    void answer.body?.cancel().catch(() => {})
    return
  }
  const headers = Object.fromEntries(answer.headers)
  // A body refused before it was read whole (413) cannot be skipped on a kept-alive connection.
  if (request.method !== 'GET' && request.method !== 'HEAD' && !request.complete) {
    headers.connection = 'close'
    // The socket as it is now (null once a body read that gave up destroyed the request): by 'finish' Node.js may have let go of it.
    const socket = request.socket ?? response.socket
    response.once('finish', () => socket?.destroy())
  }
  response.writeHead(answer.status, headers)
  if (answer.body === null) {
    response.end()
    return
  }
  const reader = answer.body.getReader()
  aborted.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true })
  // A body that is whole at once (an error, the answer to a POST) leaves in one write. A streamed
  // one must reach the client before its next chunk is ready: what it has so far, or its headers,
  // go out at the end of this turn.
  let held: Uint8Array | undefined
  let waiting: ReturnType<typeof setImmediate> | undefined = setImmediate(() => {
    waiting = undefined
    if (held === undefined) response.flushHeaders()
    else response.write(held)
    held = undefined
  })
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (waiting !== undefined && held === undefined) {
        held = value
        continue
      }
      if (held !== undefined) response.write(held)
      held = undefined
      // Honour backpressure, so a client that does not read shows up in the transport's bufferedAmount.
      if (!response.write(value)) await new Promise((resolve) => response.once('drain', resolve).once('close', resolve))
    }
  } catch {
    // The stream was errored (session terminated) or cancelled (client gone).
  }
  clearImmediate(waiting)
  response.end(held)
}

/** The request's headers as `Request` takes them: repeated ones (only `set-cookie` in Node.js) joined as `Headers` joins them. */
function headersOf(request: IncomingMessage): Record<string, string> {
  const headers = request.headers
  for (const name in headers) {
    if (typeof headers[name] === 'string') continue
    const copy: Record<string, string> = {}
    for (const [key, value] of Object.entries(headers)) if (value !== undefined) copy[key] = Array.isArray(value) ? value.join(', ') : value
    return copy
  }
  return headers as Record<string, string>
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
