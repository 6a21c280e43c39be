/**
 * (c2) Socket.IO 4.8 over Engine.IO long-polling only (`transports: ['polling']`), default options
 * otherwise: what an app behind a proxy that blocks WebSocket would otherwise pick. The same
 * application code as servers/socketio.mjs.
 */
import { createServer } from 'node:http'
import { Server } from 'socket.io'
import { listenOptions } from './listen-options.mjs'

export const path = '/socket.io/'

export async function start() {
  const http = createServer()
  const io = new Server(http, { transports: ['polling'], serveClient: false })
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
