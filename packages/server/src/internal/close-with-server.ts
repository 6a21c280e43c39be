import type { Server as HttpServer } from 'node:http'
import { Server as NetServer } from 'node:net'
import type { Logger } from '@org/realtime-core'

type Close = HttpServer['close']

/**
 * Makes closing `server` shut the realtime server down as well (`shutdown`): its WebSocket
 * connections, SSE streams and held long-poll requests never end by themselves, so Node's
 * `server.close()`, and every framework's shutdown built on it (Fastify's `close()`, Next.js on
 * SIGTERM), would wait for them forever. The server stops taking connections at once, as it
 * would anyway; its clients are told 1001 (going away) and reconnect, to another instance or to
 * this one restarted; then Node's own close runs, which closes the keep-alive sockets idle by
 * now, and the server's `close` callback runs once every connection has ended.
 *
 * Node's `close` closes the idle keep-alive sockets at once, among them those a long-polling client
 * is about to fetch its close frame on, so it runs only after the shutdown; meanwhile the listening
 * socket alone is closed (`net.Server`'s close). `server.close` is wrapped rather than an event
 * listened to: `'close'` is emitted only after every connection has ended, which is what never
 * happens. Returns a function that takes the wrapper off.
 */
export function closeWithServer(server: HttpServer, shutdown: () => Promise<void>, logger: Logger): () => void {
  const original = server.close
  const hadOwnClose = Object.hasOwn(server, 'close')
  let active = true
  const close = function (this: HttpServer, callback?: (error?: Error) => void): HttpServer {
    if (!active) return original.call(this, callback)
    active = false
    let drained = false
    this.once('close', () => {
      drained = true
    })
    NetServer.prototype.close.call(this, callback)
    void shutdown()
      .catch((error: unknown) => logger.error('shutting down with the HTTP server failed', { error }))
      // Node's own close, unless every connection has ended already (it would emit 'close' twice).
      .finally(() => drained || original.call(this))
    return this
  } as Close
  server.close = close
  return () => {
    active = false
    // Another wrapper put on top of ours stays; ours then passes the call through.
    if (server.close !== close) return
    if (hadOwnClose) server.close = original
    else delete (server as { close?: Close }).close
  }
}
