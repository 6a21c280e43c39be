import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http'
import { pathOf } from '@org/realtime-core/http'

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void

/**
 * Routes the HTTP requests for `path` to `serve` and every other request to the listeners the
 * server already had (an Express app, say), which would otherwise answer them too.
 * Returns a function that puts the original listeners back.
 */
export function interceptRequests(server: HttpServer, path: string, serve: RequestListener): () => void {
  const others = server.listeners('request') as RequestListener[]
  server.removeAllListeners('request')
  const route: RequestListener = (request, response) => {
    if (pathOf(request.url) === path) serve(request, response)
    else for (const listener of others) listener.call(server, request, response)
  }
  server.on('request', route)
  return () => {
    server.off('request', route)
    for (const listener of others) server.on('request', listener)
  }
}
