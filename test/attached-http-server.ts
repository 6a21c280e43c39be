import http from 'node:http'
import net from 'node:net'
import { RealtimeServer, type RealtimeServerOptions } from '@org/realtime-server'
import { onTestFinished } from 'vitest'

/**
 * A realtime server attached to a Node.js HTTP server of the test's own on 127.0.0.1, so the test
 * sees the server's side of every connection (`sockets`, by the client's port). Closed after the test.
 */
export async function attachedServer<TData = Record<string, any>>(
  options: RealtimeServerOptions<TData>,
): Promise<{ rt: RealtimeServer<TData>; port: number; url: string; sockets: Map<number, net.Socket> }> {
  const httpServer = http.createServer()
  const sockets = new Map<number, net.Socket>()
  httpServer.on('connection', (socket: net.Socket) => sockets.set(socket.remotePort ?? 0, socket))
  const rt = new RealtimeServer<TData>(options)
  rt.attach(httpServer)
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    await rt.close()
    httpServer.closeAllConnections()
    await new Promise((resolve) => httpServer.close(resolve))
  })
  const port = (httpServer.address() as net.AddressInfo).port
  return { rt, port, url: `http://127.0.0.1:${port}/realtime`, sockets }
}

/**
 * A raw HTTP/1.1 client on its own socket from 127.0.0.1 that sends `request` (the request line
 * and headers; the blank line is added) and reads the answer until `enough` holds for what
 * arrived (within 5 s), or reads nothing at all without `enough`, then stops reading, as a client
 * that does not read would: what the server sends next stays on the server. Destroyed after the
 * test.
 */
export async function stalledReader(port: number, request: string, enough?: (text: string) => boolean): Promise<{ socket: net.Socket; text: string }> {
  const socket = net.connect({ host: '127.0.0.1', port })
  onTestFinished(() => {
    socket.destroy()
  })
  socket.setEncoding('utf8')
  socket.on('error', () => {})
  let text = ''
  if (enough === undefined) {
    socket.pause()
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    socket.write(`${request.trimEnd()}\r\nhost: 127.0.0.1:${port}\r\n\r\n`)
    return { socket, text }
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer matching within 5 s; got ${JSON.stringify(text.slice(0, 500))}`)), 5000)
    socket.on('data', (chunk: string) => {
      text += chunk
      if (!enough(text)) return
      clearTimeout(timer)
      socket.pause()
      resolve()
    })
    socket.write(`${request.trimEnd()}\r\nhost: 127.0.0.1:${port}\r\n\r\n`)
  })
  return { socket, text }
}

/** The `closeTimeoutMs` of the slow-consumer tests. */
export const CLOSE_TIMEOUT_MS = 300
/** 4 MiB, the default `maxBufferedBytes`: more than the kernel takes on a socket nobody reads. */
export const MAX_BUFFERED = 4 * 1024 * 1024
const FRAME = 'x'.repeat(256 * 1024)

/** Sends `conn` large frames until it is disconnected (at most 100: 25 MiB); returns how many. */
export function floodUntilClosed(conn: { readonly connected: boolean; emit(event: string, data: unknown): void }): number {
  let sent = 0
  while (conn.connected && sent < 100) {
    conn.emit('bulk', FRAME)
    sent++
  }
  return sent
}
