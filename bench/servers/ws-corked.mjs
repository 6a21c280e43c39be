/**
 * (b2) Raw `ws`, the fastest broadcast we know how to write: the WebSocket frame is built once
 * per message, and each socket is corked on its first write of an event-loop turn and uncorked
 * after the turn's synchronous work, so the frames of one turn leave in one `writev` per socket.
 * Writing a prebuilt frame through `ws._sender.sendFrame` is what engine.io does for broadcasts
 * (`wsPreEncodedFrame`); it is internal API of `ws`, acceptable for a baseline.
 */
import { Sender } from 'ws'
import { start as startWs } from './ws.mjs'

export const path = '/'

const FRAME_OPTIONS = { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false }

export function start() {
  const corked = []
  const uncorkAll = () => {
    for (const socket of corked) socket.uncork()
    corked.length = 0
  }
  return startWs({
    broadcastTo(room, text) {
      const frame = [Buffer.concat(Sender.frame(Buffer.from(text), FRAME_OPTIONS))]
      if (corked.length === 0) process.nextTick(uncorkAll)
      for (const ws of room) {
        if (ws.readyState !== ws.OPEN) continue
        const socket = ws._socket
        if (socket.writableCorked === 0) {
          socket.cork()
          corked.push(socket)
        }
        ws._sender.sendFrame(frame)
      }
    },
  })
}
