import { createServer, connect, type AddressInfo, type Socket } from 'node:net'

/** A TCP proxy on 127.0.0.1 in front of `target`, whose link can be cut and restored. */
export interface TcpProxy {
  readonly port: number
  /** Drops every connection and refuses new ones until {@link TcpProxy.restore}. */
  cut(): void
  restore(): void
  /** Sends new connections to `port` from now on. */
  retarget(port: number): void
  close(): Promise<void>
}

export async function tcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let target = targetPort
  let open = true
  const server = createServer((socket) => {
    if (!open) return void socket.destroy()
    const upstream = connect({ host: '127.0.0.1', port: target })
    sockets.add(socket).add(upstream)
    const drop = () => {
      socket.destroy()
      upstream.destroy()
      sockets.delete(socket)
      sockets.delete(upstream)
    }
    socket.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    socket.pipe(upstream).pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      open = false
      for (const socket of sockets) socket.destroy()
      sockets.clear()
    },
    restore() {
      open = true
    },
    retarget(port) {
      target = port
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
