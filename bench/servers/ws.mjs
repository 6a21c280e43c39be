/**
 * (b) Raw `ws`: a room is a Set of sockets, a broadcast is one `ws.send` per recipient, an echo
 * parses the JSON request and answers with a JSON reply carrying its id.
 */
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'
import { listenOptions } from './listen-options.mjs'

export const path = '/'

export async function start({ broadcastTo = sendEach } = {}) {
  const http = createServer((_req, res) => res.writeHead(404).end())
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, clientTracking: false, maxPayload: 1_048_576 })
  const room = new Set()
  wss.on('connection', (ws) => {
    room.add(ws)
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw))
      if (msg.e === 'echo') ws.send(JSON.stringify({ id: msg.id, d: msg.d }))
    })
    ws.on('close', () => room.delete(ws))
  })
  await new Promise((resolve) => http.listen({ port: 0, ...listenOptions }, resolve))
  return {
    port: http.address().port,
    broadcast: (data) => broadcastTo(room, JSON.stringify({ e: 'm', d: data })),
    connections: () => room.size,
    close: () =>
      new Promise((resolve) => {
        for (const ws of room) ws.terminate()
        wss.close()
        http.close(() => resolve())
        http.closeAllConnections()
      }),
  }
}

function sendEach(room, text) {
  for (const ws of room) if (ws.readyState === ws.OPEN) ws.send(text)
}
