import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { expect, it, onTestFinished } from 'vitest'
import { pageScript, usePages } from '../../../test/browser.js'

const source = fileURLToPath(new URL('../src/', import.meta.url))

/** The text of each text frame in `data`, a browser's masked frames of under 126 bytes. */
function textFrames(data: Buffer): string[] {
  const texts: string[] = []
  for (let at = 0; at + 6 <= data.length; ) {
    const opcode = data[at]! & 0x0f
    const length = data[at + 1]! & 0x7f
    const mask = data.subarray(at + 2, at + 6)
    const payload = Buffer.from(data.subarray(at + 6, at + 6 + length).map((byte, i) => byte ^ mask[i % 4]!))
    if (opcode === 1) texts.push(payload.toString())
    at += 6 + length
  }
  return texts
}

/**
 * A page and a WebSocket endpoint that accepts the upgrade, answers the first text frame with a
 * close frame, and then never closes the connection: the page's socket stays CLOSING.
 */
async function closingPeer(): Promise<{ origin: string; received: () => string[] }> {
  // The browser entry of the transport: `window.webSocketTransport`.
  const script = await pageScript("import { webSocketTransport } from './client.ts'; window.webSocketTransport = webSocketTransport", source)
  const server = http.createServer((request, response) => {
    if (request.url === '/client.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
    else response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><link rel="icon" href="data:,"><script type="module" src="/client.js"></script>')
  })
  let data = Buffer.alloc(0)
  const sockets: Socket[] = []
  server.on('upgrade', (request, socket: Socket) => {
    sockets.push(socket)
    const accept = createHash('sha1').update(`${request.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
    socket.on('data', (chunk: Buffer) => {
      const first = data.length === 0
      data = Buffer.concat([data, chunk])
      if (first) socket.write(Buffer.from([0x88, 0x02, 0x03, 0xe8]))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received: () => textFrames(data) }
}

type PageWindow = typeof globalThis & { webSocketTransport: any; socket: any; opened: WebSocket[]; events: string[] }

const pages = usePages()

it('sends nothing, and so logs nothing, on a socket that is closing in Chromium', async () => {
  const { origin, received } = await closingPeer()
  const page = await pages.open(`${origin}/`, 'closing page', { width: 800, height: 600 })
  await page.waitForFunction(() => (window as unknown as PageWindow).webSocketTransport !== undefined)
  await page.evaluate((url) => {
    const win = window as unknown as PageWindow
    win.opened = []
    win.events = []
    const Recorded = class extends WebSocket {
      constructor(url: string) {
        super(url)
        win.opened.push(this)
      }
    }
    win.socket = win.webSocketTransport({ WebSocket: Recorded }).open(url, {
      open: () => {
        win.events.push('open')
        win.socket.send('first')
      },
      message: () => {},
      close: (code: number) => win.events.push(`close ${code}`),
    })
  }, `${origin}/ws`)
  // The peer's close frame arrived; `close` waits for the connection to end, which the peer never does.
  await page.waitForFunction(() => (window as unknown as PageWindow).opened[0]?.readyState === WebSocket.CLOSING)
  await page.evaluate(() => (window as unknown as PageWindow).socket.send('second'))
  // Console messages reach the test after a round trip through the page at most.
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 50)))
  expect(await page.evaluate(() => (window as unknown as PageWindow).events)).toEqual(['open'])
  expect(received()).toEqual(['first'])
  // usePages fails the test on Chromium's "WebSocket is already in CLOSING or CLOSED state."
})
