/**
 * (f) Node.js's `http` alone, the floor of an HTTP transport's round trip: each POST's body holds
 * JSON requests, one per line, and is answered 200 with a JSON reply per request carrying its id
 * (`{ id, d }`, as raw `ws` answers). Nothing else: no session, no key, no framing. Echo only.
 */
import { createServer } from 'node:http'
import { listenOptions } from './listen-options.mjs'

export const path = '/'

const HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }

export async function start() {
  const http = createServer((req, res) => {
    if (req.method !== 'POST') return res.writeHead(404).end()
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      const replies = body.split('\n').map((line) => {
        const msg = JSON.parse(line)
        return JSON.stringify({ id: msg.id, d: msg.d })
      })
      res.writeHead(200, HEADERS).end(replies.join('\n'))
    })
  })
  await new Promise((resolve) => http.listen({ port: 0, ...listenOptions }, resolve))
  return {
    port: http.address().port,
    broadcast: () => {
      throw new Error('the bare HTTP server has no fan-out')
    },
    connections: () => 0,
    close: () =>
      new Promise((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      }),
  }
}
