/**
 * What a lean load client needs to speak each implementation's wire protocol, on a raw `ws`
 * socket (or, for our HTTP transports, a lean HTTP session from lib/http-conns.mjs): the
 * handshake, heartbeat answers, and how a broadcast, an echo request and its answer look. Keeping
 * every load client this thin means the figures measure the servers.
 *
 * `open(socket)` runs once the socket is open; `control(socket, text)` answers protocol frames and
 * returns 'ready' when the handshake is done, true when it consumed the frame, false for an
 * application frame. `socket` is anything with `send(text)`. `query`, if any, goes in the URL
 * that opens the connection. `transport` (absent for WebSocket) is 'sse' or 'polling': the load
 * process then opens an HTTP session instead of a WebSocket.
 */
export const protocols = {
  // docs/protocol.md: `hello=1` in the URL (as the bundled client says it when it has no `auth`)
  // → welcome; answer ping; channel broadcasts are compact channel events,
  // `[channel, offset, event, data]`.
  ours: {
    path: '/realtime',
    query: 'hello=1',
    open() {},
    control(ws, text) {
      // `[`: a channel event, never a control frame.
      if (text.charCodeAt(0) === 0x5b) return false
      if (text === '{"t":"ping"}') {
        ws.send('{"t":"pong"}')
        return true
      }
      if (text.startsWith('{"t":"welcome"')) return 'ready'
      if (text.startsWith('{"t":"error"')) throw new Error(`server error frame: ${text}`)
      return false
    },
    broadcast(text) {
      const frame = JSON.parse(text)
      if (frame[0] !== 'room' || frame[2] !== 'm') throw new Error(`unexpected frame ${text.slice(0, 80)}`)
      return frame[3]
    },
    request: (id, data) => JSON.stringify({ t: 'event', e: 'echo', d: data, id }),
    reply(text) {
      const frame = JSON.parse(text)
      if (frame.t !== 'ack' || frame.err !== undefined) throw new Error(`unexpected frame ${text.slice(0, 80)}`)
      return { id: frame.id, data: frame.d }
    },
  },
  // Plain JSON messages: { e, d } for a broadcast, { e: 'echo', d, id } answered by { id, d }.
  ws: {
    path: '/',
    ready: 'open',
    open() {},
    control: () => false,
    broadcast(text) {
      const msg = JSON.parse(text)
      if (msg.e !== 'm') throw new Error(`unexpected message ${text.slice(0, 80)}`)
      return msg.d
    },
    request: (id, data) => JSON.stringify({ e: 'echo', d: data, id }),
    reply(text) {
      const msg = JSON.parse(text)
      return { id: msg.id, data: msg.d }
    },
  },
  // Engine.IO v4 + Socket.IO v5: `0{…}` open → send `40` → `40{…}` connected; `2` ping → `3`;
  // `42["m",d]` event; `42<id>["echo",d]` answered by `43<id>[d]`.
  socketio: {
    path: '/socket.io/?EIO=4&transport=websocket',
    open() {},
    control(ws, text) {
      if (text === '2') {
        ws.send('3')
        return true
      }
      if (text[0] === '0') {
        ws.send('40')
        return true
      }
      if (text.startsWith('40')) return 'ready'
      if (text.startsWith('44')) throw new Error(`socket.io connect error: ${text}`)
      return false
    },
    broadcast(text) {
      if (!text.startsWith('42')) throw new Error(`unexpected packet ${text.slice(0, 80)}`)
      const [event, data] = JSON.parse(text.slice(2))
      if (event !== 'm') throw new Error(`unexpected event ${event}`)
      return data
    },
    request: (id, data) => `42${id}${JSON.stringify(['echo', data])}`,
    reply(text) {
      if (!text.startsWith('43')) throw new Error(`unexpected packet ${text.slice(0, 80)}`)
      const bracket = text.indexOf('[')
      return { id: Number(text.slice(2, bracket)), data: JSON.parse(text.slice(bracket))[0] }
    },
  },
}
protocols['ws-corked'] = protocols.ws
// Our HTTP transports carry the same frames as our WebSocket (docs/protocol.md, "HTTP transports"):
// `hello` goes up in a POST, `welcome` and everything else come down the event stream or the polls.
protocols['ours-sse'] = { ...protocols.ours, transport: 'sse' }
protocols['ours-polling'] = { ...protocols.ours, transport: 'polling' }
// Node.js's HTTP server alone (servers/http.mjs): raw `ws`'s requests and replies, a POST per message
// (one in flight per client, the ones sent meanwhile together in the next), each answered with its replies.
protocols.http = { ...protocols.ws, ready: 'open', transport: 'http' }
// Socket.IO over Engine.IO long-polling (lib/engineio-polling.mjs): the same packets, in polls and POSTs.
protocols['socketio-polling'] = { ...protocols.socketio, path: '/socket.io/', transport: 'eio-polling' }
