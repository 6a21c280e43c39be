/**
 * Lean load clients for our HTTP transports (docs/protocol.md, "HTTP transports"), on the minimal
 * HTTP/1.1 client of lib/raw-http.mjs: the counterpart of a raw `ws` socket for
 * `lib/protocols.mjs`. Each returns a connection `{ send(text), close() }` and hands every frame
 * that comes down to `onFrame(text)`.
 *
 * - SSE: `GET ?transport=sse&answers=1` opens an event stream on a socket of its own; its first
 *   event (`event: session`) carries `{ sid, key, resume }`; then every frame is one `data:` line
 *   after its `id:`. A POST is answered with the frames it caused, after the id of the first, and
 *   frames are put in order by id, as the bundled client does.
 * - Long-polling: `GET ?transport=polling&frames=1&answers=1` answers `{ sid, key }` and the first
 *   frames; each `GET …&sid=` (with the key in `x-realtime-key`) is held until frames wait, which
 *   come one per line after the number of the first; the next poll leaves as soon as an answer is
 *   read. A POST is answered with the frames it caused (an ack), numbered the same way, and the
 *   answers are put in order by those numbers, as the bundled client does.
 * - Frames up (both): `POST ?transport=…&sid=…` with the key in `x-realtime-key`, one frame per
 *   line, at most one POST in flight per session; frames sent meanwhile leave together in the next
 *   POST (as the bundled client does).
 *
 * Every request has a deadline. A stream that ends, a close marker, or any HTTP status other than
 * the expected one is reported through `onClose(reason)` / `onError(error)`.
 */
import { rawRequest, rawStream } from './raw-http.mjs'

/** Long-polls are held up to the server's `holdMs` (25 s by default); nothing else takes long. */
const REQUEST_TIMEOUT_MS = 20_000
const POLL_TIMEOUT_MS = 40_000

/**
 * Sends `method url` with `body`, resolves with `{ status, headers, text }`. A request on a
 * kept-alive socket that its server closed just as it was reused (the server's
 * `keepAliveTimeout`, 5 s by default, against an idle socket) fails before anything came back: it
 * is sent again once, on a new socket.
 */
export function request(method, url, options = {}) {
  return send(method, url, options).catch((error) => {
    if (!error.reusedSocket) throw error
    return send(method, url, options)
  })
}

function send(method, url, { body, timeoutMs = REQUEST_TIMEOUT_MS, localAddress, key } = {}) {
  const headers = body === undefined ? {} : { 'content-type': 'text/plain;charset=UTF-8' }
  if (key !== undefined) headers['x-realtime-key'] = key
  return rawRequest(method, url, { body, headers, timeoutMs, localAddress })
}

/**
 * Frames up: one POST at a time, with the session's `key`; frames queued meanwhile leave together in
 * the next one. The body of a POST answered 200 (long-polling's frames) goes to `onAnswer`.
 */
function uplink(url, key, onError, localAddress, onAnswer) {
  let queue = []
  let inFlight = false
  const flush = () => {
    const body = queue.join('\n')
    queue = []
    inFlight = true
    request('POST', url, { body, localAddress, key }).then(({ status, text }) => {
      if (status === 200 && onAnswer !== undefined) onAnswer(text)
      else if (status !== 204) return onError(new Error(`POST answered ${status}: ${text.slice(0, 200)}`))
      inFlight = false
      if (queue.length > 0) flush()
    }, onError)
  }
  return (text) => {
    queue.push(text)
    if (!inFlight) flush()
  }
}

/**
 * Opens an SSE session at `base` (`http://host:port/path`) and resolves once the session id has
 * arrived, with `{ send, close }`. `handlers`: `onFrame(text)`, `onClose(reason)`, `onError(error)`.
 * `query` goes in the URL of the request that opens the session only.
 */
export function dialSse(base, { onFrame, onClose, onError }, { localAddress, query } = {}) {
  return new Promise((resolve, reject) => {
    let conn
    let closed = false
    let stream
    const openTimer = setTimeout(() => failed(new Error(`SSE open: no session event within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS)
    const failed = (error) => {
      clearTimeout(openTimer)
      if (conn === undefined) {
        stream?.close()
        reject(error)
      } else if (!closed) onError(error)
    }
    // Numbered, as the bundled client asks (`answers=1`): events by id, a POST's answer after the id of its first frame.
    const ordered = inOrder(1, onFrame)
    const event = (block) => {
      // A block is `id: n` / `event: type` / `data: …` / `retry: …` / `: comment` lines.
      let type = 'message'
      let data
      let id
      for (const line of block.split('\n')) {
        if (line.startsWith('data: ')) data = line.slice(6)
        else if (line.startsWith('event: ')) type = line.slice(7)
        else if (line.startsWith('id: ')) id = Number(line.slice(4))
      }
      if (data === undefined) return
      if (type === 'message') ordered(id, data)
      else if (type === 'session') {
        clearTimeout(openTimer)
        const { sid, key } = JSON.parse(data)
        const answered = (text) => closed || orderAnswer(ordered, text)
        const send = uplink(`${base}?transport=sse&sid=${sid}`, key, (error) => !closed && onError(error), localAddress, answered)
        conn = {
          send,
          close() {
            closed = true
            stream.close()
          },
        }
        resolve(conn)
      } else if (type === 'close') {
        closed = true
        onClose(`close event ${data}`)
      }
    }
    let rest = ''
    // The stream has a socket of its own: it stays busy for the whole session.
    stream = rawStream(`${base}?transport=sse&answers=1${query === undefined ? '' : `&${query}`}`, { accept: 'text/event-stream' }, { localAddress }, {
      onHead(status) {
        if (status !== 200) failed(new Error(`SSE open answered ${status}`))
      },
      onText(chunk) {
        const text = rest + chunk
        let start = 0
        for (let end = text.indexOf('\n\n'); end !== -1; end = text.indexOf('\n\n', start)) {
          event(text.slice(start, end))
          start = end + 2
        }
        rest = text.slice(start)
      },
      onError: failed,
      onClose() {
        if (conn === undefined) failed(new Error('SSE stream ended before its session event'))
        else if (!closed) {
          closed = true
          onClose('the event stream ended')
        }
      },
    })
  })
}

/**
 * A client of servers/http.mjs: no session, every frame goes up in a POST (one in flight, as
 * `uplink` sends them) and every line of a POST's answer is a frame down. Same handlers as `dialSse`.
 */
export async function dialPlainHttp(base, { onFrame, onError }, { localAddress } = {}) {
  let closed = false
  const failed = (error) => closed || onError(error)
  const answered = (text) => {
    if (closed) return
    for (const line of text.split('\n')) onFrame(line)
  }
  return {
    send: uplink(base, undefined, failed, localAddress, answered),
    close() {
      closed = true
    },
  }
}

/**
 * Opens a long-polling session at `base` and resolves with `{ send, close }` once it has its
 * session id; from then on one long-poll is always in flight. Same handlers as `dialSse`.
 */
export async function dialPolling(base, { onFrame, onClose, onError }, { localAddress, query } = {}) {
  // As the bundled client does: the open's answer brings the first frames after the session's id and key.
  // And as it does, numbered answers: POSTs are answered with the frames they caused.
  const open = await request('GET', `${base}?transport=polling&frames=1&answers=1${query === undefined ? '' : `&${query}`}`, { localAddress })
  if (open.status !== 200) throw new Error(`polling open answered ${open.status}: ${open.text.slice(0, 200)}`)
  const newline = open.text.indexOf('\n')
  const { sid, key } = JSON.parse(newline === -1 ? open.text : open.text.slice(0, newline))
  const url = `${base}?transport=polling&sid=${sid}`
  let closed = false
  const failed = (error) => {
    if (closed) return
    closed = true
    onError(error)
  }
  // A numbered answer starts with the number of its first frame; one that overtook an earlier one waits for it.
  const ordered = inOrder(0, onFrame)
  const deliver = (text) => orderAnswer(ordered, text)
  const poll = () => {
    request('GET', url, { timeoutMs: POLL_TIMEOUT_MS, localAddress, key }).then(({ status, headers, text }) => {
      if (closed) return
      if (status !== 200) return failed(new Error(`long-poll answered ${status}: ${text.slice(0, 200)}`))
      deliver(text)
      if (headers['x-realtime-close'] !== undefined) {
        closed = true
        return onClose(`x-realtime-close: ${headers['x-realtime-close']}`)
      }
      poll()
    }, failed)
  }
  const sending = uplink(url, key, failed, localAddress, (text) => closed || deliver(text))
  // After the caller has the session (this function's promise resolved): the frames the open brought.
  if (newline !== -1) setImmediate(() => closed || deliver(open.text.slice(newline + 1)))
  poll()
  return {
    send: sending,
    close() {
      closed = true
    },
  }
}

/**
 * Hands a numbered answer to `ordered` (from {@link inOrder}): the number of its first frame on the
 * first line, then its frames, one per line. A number alone (the answer with a close) and an empty
 * answer have none.
 */
function orderAnswer(ordered, text) {
  const newline = text.indexOf('\n')
  if (newline !== -1) ordered(Number(text.slice(0, newline)), text.slice(newline + 1))
}

/** The number of lines of `text`, one more than its newlines. */
function countLines(text) {
  let count = 1
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++
  return count
}

/**
 * Hands numbered frames to `onFrame` in the order of their numbers, from `first` on: `ordered(n,
 * text)` takes `text`, one or more frames, one per line, numbered from `n`; text that came before
 * frames numbered lower waits for them.
 */
function inOrder(first, onFrame) {
  let next = first
  const early = new Map()
  return (number, text) => {
    early.set(number, text)
    for (let waiting = early.get(next); waiting !== undefined; waiting = early.get(next)) {
      early.delete(next)
      next += countLines(waiting)
      let start = 0
      for (let end = waiting.indexOf('\n'); end !== -1; end = waiting.indexOf('\n', start)) {
        onFrame(waiting.slice(start, end))
        start = end + 1
      }
      onFrame(waiting.slice(start))
    }
  }
}
