/** (c) Socket.IO 4.8, WebSocket transport only on both ends, default options otherwise. */
import { createServer } from 'node:http'
import { Server } from 'socket.io'
import { listenOptions } from './listen-options.mjs'

export const path = '/socket.io/?EIO=4&transport=websocket'

export function start() {
  return startSocketIo(['websocket'])
}

/** The Socket.IO server of the benchmarks, on `transports`: joins each socket to `room` and answers `echo`. */
export async function startSocketIo(transports) {
  const http = createServer()
  const io = new Server(http, { transports, serveClient: false })
  io.on('connection', (socket) => {
    socket.join('room')
    socket.on('echo', (data, ack) => ack(data))
  })
  await new Promise((resolve) => http.listen({ port: 0, ...listenOptions }, resolve))
  return {
    port: http.address().port,
    broadcast: (data) => io.to('room').emit('m', data),
    connections: () => io.of('/').sockets.size,
    close: () => new Promise((resolve) => io.close(() => resolve())),
  }
}
