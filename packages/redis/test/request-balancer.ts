import { request as httpRequest, createServer, Agent, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A round-robin HTTP load balancer for tests, as nginx's `upstream` without stickiness and with
 * no connection reuse to the backends: each request, whatever connection it came on, goes to the
 * next backend. Counts the requests each backend got.
 */
export class RequestBalancer {
  readonly #server: Server
  readonly #agent = new Agent({ keepAlive: false })
  #turn = 0
  /** Requests sent to each backend, by port. */
  readonly served = new Map<number, number>()

  private constructor(
    server: Server,
    readonly backends: readonly number[],
  ) {
    this.#server = server
  }

  static async start(backends: readonly number[]): Promise<RequestBalancer> {
    const server = createServer()
    const balancer = new RequestBalancer(server, backends)
    server.on('request', (incoming, outgoing) => {
      const port = backends[balancer.#turn++ % backends.length] as number
      balancer.served.set(port, (balancer.served.get(port) ?? 0) + 1)
      const upstream = httpRequest({ host: '127.0.0.1', port, method: incoming.method, path: incoming.url, headers: incoming.headers, agent: balancer.#agent }, (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(outgoing)
      })
      upstream.on('error', () => outgoing.destroy())
      outgoing.on('close', () => upstream.destroy())
      incoming.pipe(upstream)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return balancer
  }

  /** The URL of the realtime path behind the balancer. */
  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/realtime`
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#agent.destroy()
  }
}
