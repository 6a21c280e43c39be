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
  response.once('close', () => aborted.abort())
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD'
  const fetchRequest = new Request(`http://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`, {
    method: request.method ?? 'GET',
    headers: headersOf(request),
    body: hasBody ? (Readable.toWeb(request) as ReadableStream<Uint8Array>) : null,
    signal: aborted.signal,
    ...(hasBody ? { duplex: 'half' } : {}),
  } as RequestInit)
  let answer: Response
  try {
    answer = await handler(fetchRequest, request.socket.remoteAddress ?? '')
  } catch (error) {
    logger.error('HTTP transport failed', { error })
    answer = errorResponse(500, ErrorCode.Internal, 'Internal error')
  }
  response.writeHead(answer.status, Object.fromEntries(answer.headers))
  response.flushHeaders()
  if (answer.body === null) {
    response.end()
    return
  }
  const reader = answer.body.getReader()
  aborted.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true })
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      response.write(value)
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
