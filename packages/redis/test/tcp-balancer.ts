import { createServer, connect, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

/**
 * A plain round-robin TCP load balancer for tests, as nginx's `upstream` without stickiness: each
 * new connection goes to the next backend port; a backend that refuses is skipped. `next` may be
 * replaced to route by hand.
 */
export class TcpBalancer {
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  #turn = 0
  backends: number[]

  private constructor(server: Server, backends: number[]) {
    this.#server = server
    this.backends = backends
  }

  static async start(backends: number[]): Promise<TcpBalancer> {
    const server = createServer()
    const balancer = new TcpBalancer(server, backends)
    server.on('connection', (socket) => balancer.#route(socket))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return balancer
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port
  }

  /** The URL of the realtime path behind the balancer. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/realtime`
  }

  /** Cuts every connection through it, as a network failure would; new ones are still routed. */
  dropAll(): void {
    for (const socket of this.#sockets) socket.destroy()
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #route(client: Socket, tried = 0): void {
    this.#sockets.add(client)
    client.once('close', () => this.#sockets.delete(client))
    if (tried >= this.backends.length) {
      client.destroy()
      return
    }
    const port = this.backends[this.#turn++ % this.backends.length] as number
    const upstream = connect(port, '127.0.0.1')
    client.pause()
    let connected = false
    upstream.once('error', () => {
      if (!connected && tried + 1 < this.backends.length && !client.destroyed) {
        this.#sockets.delete(client)
        this.#route(client, tried + 1)
      } else client.destroy()
    })
    upstream.once('connect', () => {
      connected = true
      this.#sockets.add(upstream)
      upstream.once('close', () => this.#sockets.delete(upstream))
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
      client.pipe(upstream)
      upstream.pipe(client)
      client.once('close', () => upstream.destroy())
      upstream.once('close', () => client.destroy())
      client.resume()
    })
  }
}
