/**
 * (c2) Socket.IO 4.8 over Engine.IO long-polling only (`transports: ['polling']`), default options
 * otherwise: what an app behind a proxy that blocks WebSocket would otherwise pick. The same
 * application code as servers/socketio.mjs.
 */
import { startSocketIo } from './socketio.mjs'

export const path = '/socket.io/'

export function start() {
  return startSocketIo(['polling'])
}
