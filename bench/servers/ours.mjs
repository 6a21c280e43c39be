/** (a) This library over WebSocket, used the way an application would. */
import { RealtimeServer } from '@org/realtime-server'
import { listenOptions } from './listen-options.mjs'

export const path = '/realtime'

/** Starts the server; `transports` replaces the default WebSocket transport (servers/ours-sse.mjs). */
export async function start(transports) {
  // All load comes from 127.0.0.1, far past the per-address defaults of the rate limiter; ws and
  // Socket.IO have none, so it is off here.
  const rt = new RealtimeServer({ rateLimit: false, ...(transports === undefined ? {} : { transports }) })
  rt.on('connection', (conn) => {
    conn.join('room')
    conn.on('echo', (data) => data)
  })
  const port = await rt.listen(0, listenOptions)
  return {
    port,
    broadcast: (data) => rt.to('room').emit('m', data),
    connections: () => rt.connections.size,
    close: () => rt.close(),
  }
}
