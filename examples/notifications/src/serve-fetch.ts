import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/** A fetch-API request handler, as a Next.js route handler is. */
export type FetchHandler = (request: Request) => Response | Promise<Response>

/**
 * Serves a fetch-API handler on a Node.js HTTP server, the way Next.js runs a route handler: the
 * request's `signal` aborts when the client goes away, and the response body is streamed, so
 * server-sent events go out as they are written. A handler that throws answers 500.
 * (@org/realtime-server has such a bridge inside `attach`, but does not export it.)
 */
export function serveFetch(handler: FetchHandler): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => void respond(request, response, handler)
}

async function respond(request: IncomingMessage, response: ServerResponse, handler: FetchHandler): Promise<void> {
  const aborted = new AbortController()
  response.once('close', () => aborted.abort())
  let answer: Response
  try {
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD'
    const headers = new Headers()
    for (const [name, values] of Object.entries(request.headersDistinct)) for (const value of values ?? []) headers.append(name, value)
    answer = await handler(
      new Request(`http://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`, {
        method: request.method,
        headers,
        signal: aborted.signal,
        body: hasBody ? (Readable.toWeb(request) as ReadableStream<Uint8Array>) : null,
        duplex: 'half',
      } as RequestInit),
    )
  } catch (error) {
    console.error('request handler failed', error)
    answer = new Response('Internal error', { status: 500 })
  }
  response.writeHead(answer.status, [...answer.headers].flat())
  response.flushHeaders()
  if (answer.body === null) response.end()
  else await pipeline(Readable.fromWeb(answer.body as import('node:stream/web').ReadableStream), response).catch(() => {}) // the client went away
}
