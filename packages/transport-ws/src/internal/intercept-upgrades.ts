import { STATUS_CODES, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { HttpServerLike } from '@org/realtime-core'
import { pathOf } from '@org/realtime-core/http'

/** What a Node.js HTTP server emits on a WebSocket (or other) upgrade request. */
export type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

type Emit = (event: string | symbol, ...args: any[]) => boolean

/**
 * Routes the upgrade requests for `path` to `serve`, and only there: the server's other `upgrade`
 * listeners (an app's own `new WebSocketServer({ server, path: '/other' })`, added before or
 * after) never see them, so they cannot refuse ours with 400 or write into our sockets. Upgrades
 * to other paths go to those listeners; with none, they are refused with 404.
 * The server's `emit` is wrapped rather than its listeners moved, since a listener added later
 * would otherwise see our upgrades too. Returns a function that stops the routing.
 */
export function interceptUpgrades(server: HttpServerLike, path: string, serve: UpgradeListener): () => void {
  const target = server as HttpServerLike & { emit?: Emit }
  const original = target.emit
  const hadOwnEmit = Object.hasOwn(server, 'emit')
  let active = true
  const emit: Emit = function (this: unknown, event, ...args) {
    if (active && event === 'upgrade' && pathOf((args[0] as IncomingMessage).url) === path) {
      serve(...(args as Parameters<UpgradeListener>))
      return true
    }
    return (original as Emit).call(this, event, ...args)
  }
  // Node.js handles a request as an upgrade only while the server has an 'upgrade' listener; this
  // one answers upgrades that nothing else takes, which would otherwise hang forever (and serves
  // ours on a server-like object without an `emit` to wrap).
  const others: UpgradeListener = (request, socket, head) => {
    if (pathOf(request.url) === path) serve(request, socket, head)
    else if (server.listenerCount('upgrade') === 1) refuseUpgrade(socket, 404)
  }
  if (typeof original === 'function') target.emit = emit
  server.on('upgrade', others)
  return () => {
    active = false
    server.off('upgrade', others)
    // Another wrapper put on top of ours stays; ours then passes everything through.
    if (target.emit !== emit) return
    if (hadOwnEmit) target.emit = original
    else delete target.emit
  }
}

/**
 * Answers an upgrade request with `status` and destroys the socket once the answer is written,
 * rather than leaving a half-closed socket to a peer that may never close its side.
 */
export function refuseUpgrade(socket: Duplex, status: 403 | 404): void {
  // Node.js takes its error listener off an upgraded socket: a reset must not become an uncaught error.
  socket.on('error', () => socket.destroy())
  socket.once('finish', () => socket.destroy())
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}
