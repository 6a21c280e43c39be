import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { HttpServerLike, Logger, ServerTransport, TransportHost } from '@org/realtime-core'
import { pathOf } from '@org/realtime-core/http'

type Emit = (event: string | symbol, ...args: any[]) => boolean
type Upgrade = [request: IncomingMessage, socket: Duplex, head: Buffer]

/**
 * The default transport list's WebSocket transport, which loads `@org/realtime-transport-ws` (and
 * with it `ws`) only when the server is attached to an HTTP server. An app on the HTTP transports
 * alone, a fetch-API runtime among them, never evaluates `ws`, and a bundler that splits dynamic
 * imports leaves it out of the code the app loads.
 * `attach` is synchronous and the import is not, so until it has loaded, upgrades for `path` are
 * held (and kept from the server's other `upgrade` listeners), then handed to the real transport.
 */
export function lazyWebSocketTransport(logger: Logger): ServerTransport {
  let loaded: Promise<ServerTransport> | undefined
  let closed = false
  const load = (): Promise<ServerTransport> =>
    (loaded ??= import('@org/realtime-transport-ws/server').then(({ webSocketTransport }) => webSocketTransport()))
  return {
    name: 'websocket',
    attach(server: HttpServerLike, path: string, host: TransportHost): void {
      const held = holdUpgrades(server, path)
      load().then(
        (transport) => {
          if (!closed) transport.attach?.(server, path, host)
          held.release(closed)
        },
        (error: unknown) => {
          logger.error('the WebSocket transport (@org/realtime-transport-ws) failed to load', { error })
          held.release(true)
        },
      )
    },
    async close(): Promise<void> {
      closed = true
      if (loaded === undefined) return
      const transport = await loaded.catch(() => undefined)
      await transport?.close()
    },
  }
}

/**
 * Keeps the upgrade requests for `path` until `release`: then they are emitted again, for the
 * transport attached meanwhile, or destroyed (`drop`). Node.js treats a request as an upgrade only
 * while the server has an `upgrade` listener, so one is added; it keeps the upgrades to other paths
 * too when nothing else would answer them.
 */
function holdUpgrades(server: HttpServerLike, path: string): { release(drop: boolean): void } {
  const target = server as HttpServerLike & { emit?: Emit }
  const original = target.emit
  const hadOwnEmit = Object.hasOwn(server, 'emit')
  const waiting: Upgrade[] = []
  let active = true
  const emit: Emit = function (this: unknown, event, ...args) {
    if (active && event === 'upgrade' && pathOf((args[0] as IncomingMessage).url) === path) {
      waiting.push(args as Upgrade)
      return true
    }
    return (original as Emit).call(this, event, ...args)
  }
  const others = (...upgrade: Upgrade): void => {
    if (pathOf(upgrade[0].url) === path || server.listenerCount('upgrade') === 1) waiting.push(upgrade)
  }
  if (typeof original === 'function') target.emit = emit
  server.on('upgrade', others)
  return {
    release(drop) {
      active = false
      server.off('upgrade', others)
      // A wrapper put on top of ours (the transport's) stays; ours then passes everything through.
      if (target.emit === emit) {
        if (hadOwnEmit) target.emit = original
        else delete target.emit
      }
      for (const [request, socket, head] of waiting.splice(0)) {
        if (drop || typeof target.emit !== 'function') socket.destroy()
        else target.emit('upgrade', request, socket, head)
      }
    },
  }
}
