import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http'
import { pathOf } from '@org/realtime-core/http'

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void
type Emit = (event: string | symbol, ...args: any[]) => boolean

/**
 * Routes the HTTP requests for `path` to `serve`, and only there; every other request goes to the
 * server's own request listeners (an Express app, say), whether they were added before or after.
 * The server's `emit` is wrapped rather than its listeners moved, since a listener added later
 * would otherwise answer our requests too (and the second answer throws `ERR_HTTP_HEADERS_SENT`).
 * A request for another path on a server with no request listener gets 404, not silence.
 * Returns a function that stops the routing.
 */
export function interceptRequests(server: HttpServer, path: string, serve: RequestListener): () => void {
  const original = server.emit as Emit
  const hadOwnEmit = Object.hasOwn(server, 'emit')
  let active = true
  const emit: Emit = function (this: HttpServer, event, ...args) {
    if (!active || event !== 'request') return original.call(this, event, ...args)
    const [request, response] = args as [IncomingMessage, ServerResponse]
    if (pathOf(request.url) === path) {
      serve(request, response)
      return true
    }
    if (server.listenerCount('request') === 0) {
      response.writeHead(404).end()
      return false
    }
    return original.call(this, event, ...args)
  }
  server.emit = emit as HttpServer['emit']
  return () => {
    active = false
    // Another wrapper put on top of ours stays; ours then passes everything through.
    if (server.emit !== emit) return
    if (hadOwnEmit) server.emit = original as HttpServer['emit']
    else delete (server as { emit?: Emit }).emit
  }
}
