/**
 * A minimal HTTP/1.1 client on `node:net` for the load process: requests written as text, answers
 * read by a small parser (`content-length`, `chunked`, or none), kept-alive sockets reused
 * last-in first-out. Node.js's `http` client spent about twice what the servers under test
 * spend on a request (an `Agent`, a `ClientRequest`, an `IncomingMessage`, a parser from a pool
 * and their events for each), which on a machine of two cores made the HTTP storms measure the
 * load process rather than the servers; this does for HTTP what a raw `ws` socket does for
 * WebSocket. It speaks only what the servers of this bench answer: no redirects, no `100
 * continue`, no compression, one request at a time per socket.
 */
import { connect } from 'node:net'
import { StringDecoder } from 'node:string_decoder'

const CRLF_CRLF = Buffer.from('\r\n\r\n')

/** Kept-alive sockets with no request on them, by `host:port localAddress`; the last one freed is reused first. */
const idle = new Map()

/** `http://host:port/path?query` → where to connect and what to ask for. */
export function parseUrl(url) {
  const match = /^http:\/\/([^/:]+):(\d+)(\/[^#]*)?$/.exec(url)
  if (match === null) throw new Error(`raw-http: unsupported URL ${url}`)
  return { host: match[1], port: Number(match[2]), path: match[3] ?? '/' }
}

/** The text of a request: its line, `Host`, the `headers` given, the body's length and the body. */
export function requestText(method, { host, port, path }, headers = {}, body) {
  let text = `${method} ${path} HTTP/1.1\r\nhost: ${host}:${port}\r\n`
  for (const name in headers) text += `${name}: ${headers[name]}\r\n`
  if (body !== undefined) text += `content-length: ${Buffer.byteLength(body)}\r\n`
  return `${text}\r\n${body ?? ''}`
}

/**
 * Reads one answer from the bytes pushed into it: `onHead(status, headers)` (names in lower
 * case), then `onData(bytes)` for each piece of the body as it arrives, then `onEnd()` once the
 * body is whole. A body's length comes from `content-length` or the `chunked` framing; a 204 or
 * 304 has none; any other answer with neither runs until its socket closes (only `onData`: the
 * caller hears of the close from the socket).
 */
export class ResponseParser {
  #head = Buffer.alloc(0)
  #state = 'head'
  /** Bytes of the body (or of the current chunk) still to come. */
  #remaining = 0
  /** A chunk-size line, or the trailer, read so far. */
  #line = ''

  constructor({ onHead, onData, onEnd }) {
    this.onHead = onHead
    this.onData = onData
    this.onEnd = onEnd
  }

  push(bytes) {
    let at = 0
    while (at < bytes.length && this.#state !== 'done') {
      if (this.#state === 'head') at = this.#readHead(bytes, at)
      else if (this.#state === 'body' || this.#state === 'chunk') at = this.#readBody(bytes, at)
      else at = this.#readLine(bytes, at)
    }
  }

  #readHead(bytes, at) {
    const head = this.#head.length === 0 ? bytes.subarray(at) : Buffer.concat([this.#head, bytes.subarray(at)])
    const end = head.indexOf(CRLF_CRLF)
    if (end === -1) {
      this.#head = Buffer.from(head)
      return bytes.length
    }
    const lines = head.toString('latin1', 0, end).split('\r\n')
    const status = Number(lines[0].slice(9, 12))
    const headers = {}
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':')
      headers[lines[i].slice(0, colon).toLowerCase()] = lines[i].slice(colon + 1).trim()
    }
    this.#head = Buffer.alloc(0)
    this.onHead(status, headers)
    if (headers['transfer-encoding']?.includes('chunked')) this.#state = 'size'
    else if (headers['content-length'] !== undefined) {
      this.#remaining = Number(headers['content-length'])
      this.#state = 'body'
      if (this.#remaining === 0) this.#finish()
    } else if (status === 204 || status === 304) this.#finish()
    else this.#state = 'stream'
    // What followed the head in this read: bytes of `bytes` past the head's end.
    return bytes.length - (head.length - end - 4)
  }

  /** Bytes of a body of known length, or of a chunk. */
  #readBody(bytes, at) {
    const take = Math.min(this.#remaining, bytes.length - at)
    if (take > 0) this.onData(bytes.subarray(at, at + take))
    this.#remaining -= take
    if (this.#remaining === 0) {
      if (this.#state === 'body') this.#finish()
      else this.#state = 'chunk-end'
    }
    return at + take
  }

  /** A chunk-size line, the line break after a chunk, or the trailer after the last chunk. */
  #readLine(bytes, at) {
    if (this.#state === 'stream') {
      this.onData(bytes.subarray(at))
      return bytes.length
    }
    const newline = bytes.indexOf(0x0a, at)
    const end = newline === -1 ? bytes.length : newline + 1
    this.#line += bytes.toString('latin1', at, end)
    if (newline === -1) return end
    const line = this.#line.trimEnd()
    this.#line = ''
    if (this.#state === 'chunk-end') this.#state = 'size'
    else if (this.#state === 'size') {
      this.#remaining = parseInt(line, 16)
      this.#state = this.#remaining === 0 ? 'trailer' : 'chunk'
    } else if (line.length === 0) this.#finish()
    return end
  }

  #finish() {
    this.#state = 'done'
    this.onEnd()
  }
}

/** A socket to `target`: from the idle ones if there is one (`reused`), else a new connection. */
function socketFor(target, localAddress) {
  const key = `${target.host}:${target.port} ${localAddress ?? ''}`
  const free = idle.get(key)
  const socket = free?.pop()
  if (socket !== undefined) return { socket, reused: true }
  const fresh = connect({ host: target.host, port: target.port, localAddress })
  fresh.setNoDelay(true)
  fresh.poolKey = key
  fresh.request = undefined
  fresh.on('data', (bytes) => fresh.request?.data(bytes))
  fresh.on('close', () => {
    forget(fresh)
    fresh.request?.cut(new Error('socket closed before the answer was whole'))
  })
  fresh.on('error', (error) => fresh.request?.cut(error))
  return { socket: fresh, reused: false }
}

function release(socket) {
  socket.request = undefined
  let free = idle.get(socket.poolKey)
  if (free === undefined) idle.set(socket.poolKey, (free = []))
  free.push(socket)
}

function forget(socket) {
  const free = idle.get(socket.poolKey)
  const index = free?.indexOf(socket) ?? -1
  if (index !== -1) free.splice(index, 1)
}

/**
 * Sends `method url` with `body` (text) and `headers`, resolves with `{ status, headers, text }`.
 * Rejects if no whole answer came within `timeoutMs` (the socket is then closed) or the socket
 * failed first; the error of a reused socket that failed before any answer came says so
 * (`reusedSocket`): its server may have closed it just as it was taken, and it may be sent again.
 */
export function rawRequest(method, url, { body, headers, timeoutMs, localAddress }) {
  const target = parseUrl(url)
  return new Promise((resolve, reject) => {
    const { socket, reused } = socketFor(target, localAddress)
    const chunks = []
    let status
    let answerHeaders
    let settled = false
    const timer = setTimeout(() => {
      socket.destroy()
      cut(new Error(`${method} ${target.path.slice(target.path.indexOf('?'))}: no answer within ${timeoutMs} ms`), false)
    }, timeoutMs)
    // Only a reused socket that failed before any answer came may have been closed by its server as it was taken.
    const cut = (error, reusedAndUnanswered = reused && status === undefined) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.request = undefined
      reject(Object.assign(error, { reusedSocket: reusedAndUnanswered }))
    }
    const parser = new ResponseParser({
      onHead(code, names) {
        status = code
        answerHeaders = names
      },
      onData: (bytes) => chunks.push(Buffer.from(bytes)),
      onEnd() {
        settled = true
        clearTimeout(timer)
        if (answerHeaders.connection === 'close') {
          socket.request = undefined
          socket.destroy()
        } else release(socket)
        resolve({ status, headers: answerHeaders, text: Buffer.concat(chunks).toString('utf8') })
      },
    })
    socket.request = { data: (bytes) => parser.push(bytes), cut }
    socket.write(requestText(method, target, headers, body))
  })
}

/**
 * Opens a streamed answer (`GET url`) on a socket of its own: `onHead(status, headers)`, then
 * `onText(text)` for the body as it arrives (UTF-8 decoded across reads), then `onClose()` when
 * the socket closes, however. Returns `{ close() }`, which closes the socket.
 */
export function rawStream(url, headers, { localAddress }, { onHead, onText, onClose, onError }) {
  const target = parseUrl(url)
  const socket = connect({ host: target.host, port: target.port, localAddress })
  socket.setNoDelay(true)
  const decoder = new StringDecoder('utf8')
  const parser = new ResponseParser({ onHead, onData: (bytes) => onText(decoder.write(bytes)), onEnd: () => socket.end() })
  socket.on('data', (bytes) => parser.push(bytes))
  socket.on('error', onError)
  socket.on('close', onClose)
  socket.write(requestText('GET', target, headers))
  return { close: () => socket.destroy() }
}
