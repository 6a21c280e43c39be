/**
 * Lean load client for Socket.IO over Engine.IO v4 long-polling, on the HTTP client of
 * lib/raw-http.mjs (the counterpart of lib/http-conns.mjs for our transports), as socket.io-client does it with
 * `transports: ['polling']`:
 *
 * - `GET /socket.io/?EIO=4&transport=polling` answers the open packet `0{"sid",…}`;
 * - `GET …&sid=` is held until packets wait; an answer holds one or more packets separated by the
 *   record separator `\x1e`; the next poll leaves as soon as an answer is read;
 * - packets up: `POST …&sid=` with packets separated by `\x1e`, answered `ok`; at most one POST in
 *   flight (Engine.IO refuses overlapping ones), packets sent meanwhile leave together in the next.
 *
 * Every packet that comes down (the open packet included) goes to `onFrame(text)`, so
 * lib/protocols.mjs's `socketio` handshake (`0` → send `40`, `2` → send `3`) works unchanged.
 */
import { request } from './http-conns.mjs'

const POLL_TIMEOUT_MS = 60_000
const SEPARATOR = '\x1e'

/** Opens an Engine.IO polling session at `base` (`http://host:port/socket.io/`); resolves with `{ send, close }`. */
export async function dialEngineIoPolling(base, { onFrame, onClose, onError }, { localAddress } = {}) {
  const open = await request('GET', `${base}?EIO=4&transport=polling`, { localAddress, timeoutMs: POLL_TIMEOUT_MS })
  if (open.status !== 200 || open.text[0] !== '0') throw new Error(`Engine.IO open answered ${open.status}: ${open.text.slice(0, 200)}`)
  const { sid } = JSON.parse(open.text.slice(1))
  const url = `${base}?EIO=4&transport=polling&sid=${sid}`
  let closed = false
  const failed = (error) => {
    if (closed) return
    closed = true
    onError(error)
  }
  let queue = []
  let inFlight = false
  const flush = () => {
    const body = queue.join(SEPARATOR)
    queue = []
    inFlight = true
    request('POST', url, { body, localAddress, timeoutMs: POLL_TIMEOUT_MS }).then(({ status, text }) => {
      if (status !== 200) return failed(new Error(`Engine.IO POST answered ${status}: ${text.slice(0, 200)}`))
      inFlight = false
      if (queue.length > 0) flush()
    }, failed)
  }
  const send = (text) => {
    queue.push(text)
    if (!inFlight) flush()
  }
  const poll = () => {
    request('GET', url, { timeoutMs: POLL_TIMEOUT_MS, localAddress }).then(({ status, text }) => {
      if (closed) return
      if (status !== 200) return failed(new Error(`Engine.IO poll answered ${status}: ${text.slice(0, 200)}`))
      for (const packet of text.split(SEPARATOR)) {
        if (packet === '1') {
          closed = true
          return onClose('Engine.IO close packet')
        }
        if (packet !== '6' && packet.length > 0) onFrame(packet)
      }
      poll()
    }, failed)
  }
  const conn = {
    send,
    close() {
      closed = true
    },
  }
  // The open packet first (the handshake answers it with `40`, once the caller has `send`), then the first poll.
  setImmediate(() => {
    onFrame(open.text)
    poll()
  })
  return conn
}
