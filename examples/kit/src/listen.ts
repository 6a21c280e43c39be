import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** An example's HTTP server once it listens. */
export interface Listening {
  /** The page's URL, `http://<host>:<port>/` (an IPv6 host in brackets). */
  readonly url: string
  /** The port it listens on (the one picked when asked for 0). */
  readonly port: number
  /** Stops listening and cuts the connections still open (close the realtime server first). */
  close(): Promise<void>
}

/** Starts `http` listening on `host`:`port` (0 picks a free port); rejects when it cannot. */
export async function listen(http: Server, port: number, host: string): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, host, () => resolve())
  })
  const actualPort = (http.address() as AddressInfo).port
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      }),
  }
}

/**
 * {@link listen}, for an example's HTTP server with its realtime server attached: `close()` closes
 * `rt` first (every realtime connection), then the HTTP server.
 */
export async function listenRealtime(http: Server, rt: { close(): Promise<void> }, port: number, host: string): Promise<Listening> {
  const listening = await listen(http, port, host)
  return {
    url: listening.url,
    port: listening.port,
    async close() {
      await rt.close()
      await listening.close()
    },
  }
}
