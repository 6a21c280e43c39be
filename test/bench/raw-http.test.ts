import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
// @ts-expect-error: the bench is plain JavaScript without declarations
import { rawRequest, rawStream, ResponseParser } from '../../bench/lib/raw-http.mjs'

interface Answer {
  status: number
  headers: Record<string, string>
  text: string
}

const servers: Server[] = []

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Parses `bytes` handed over in pieces of `size` bytes. */
function parse(bytes: Buffer, size: number): { status?: number; body: string; ended: boolean } {
  const out: { status?: number; body: string; ended: boolean } = { body: '', ended: false }
  const parser = new ResponseParser({
    onHead: (status: number) => (out.status = status),
    onData: (data: Buffer) => (out.body += data.toString('latin1')),
    onEnd: () => (out.ended = true),
  })
  for (let at = 0; at < bytes.length; at += size) parser.push(bytes.subarray(at, at + size))
  return out
}

describe("the bench's HTTP client (bench/lib/raw-http.mjs)", () => {
  it('reads a body by its length and a chunked one, however the bytes are split', () => {
    const sized = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\nhello world')
    const chunked = Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n')
    for (let size = 1; size <= chunked.length; size++) {
      expect(parse(sized, size)).toEqual({ status: 200, body: 'hello world', ended: true })
      expect(parse(chunked, size)).toEqual({ status: 200, body: 'hello world', ended: true })
    }
    expect(parse(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'), 3)).toEqual({ status: 204, body: '', ended: true })
  })

  it('sends requests with their body and headers and reuses a kept-alive socket', async () => {
    const ports = new Set<number>()
    const base = await serve((request, response) => {
      ports.add(request.socket.remotePort!)
      let body = ''
      request.on('data', (chunk) => (body += chunk))
      request.on('end', () => response.writeHead(200, { 'content-type': 'text/plain' }).end(`${request.method} ${request.url} ${request.headers['x-key']} ${body} é`))
    })
    for (let n = 0; n < 3; n++) {
      const answer = (await rawRequest('POST', `${base}/path?n=${n}`, { body: `body ${n}`, headers: { 'x-key': 'k' }, timeoutMs: 5000 })) as Answer
      expect(answer).toMatchObject({ status: 200, text: `POST /path?n=${n} k body ${n} é` })
    }
    expect(ports.size).toBe(1)
  })

  it('fails a request with no answer in time, and one whose socket closes first, saying which may be sent again', async () => {
    const base = await serve((request, response) => {
      if (request.url === '/ok') response.end('ok')
      if (request.url === '/cut') response.socket?.destroy()
    })
    // Each after an answered request, on its kept-alive socket.
    await rawRequest('GET', `${base}/ok`, { timeoutMs: 5000 })
    const slow = rawRequest('GET', `${base}/slow`, { timeoutMs: 200 })
    await expect(slow).rejects.toThrow(/no answer within 200 ms/)
    await expect(slow).rejects.toMatchObject({ reusedSocket: false })
    await rawRequest('GET', `${base}/ok`, { timeoutMs: 5000 })
    const cut = rawRequest('GET', `${base}/cut`, { timeoutMs: 5000 })
    await expect(cut).rejects.toThrow(/socket closed/)
    await expect(cut).rejects.toMatchObject({ reusedSocket: true })
    await expect(rawRequest('GET', `${base}/cut`, { timeoutMs: 5000 })).rejects.toMatchObject({ reusedSocket: false })
  })

  it('streams a chunked answer as it comes, then reports the close', async () => {
    const base = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' })
      response.write('data: a\n\n')
      setTimeout(() => response.end('data: é\n\n'), 50)
    })
    const texts: string[] = []
    const status = await new Promise<number>((resolve, reject) => {
      let head = 0
      rawStream(`${base}/stream`, { accept: 'text/event-stream' }, {}, {
        onHead: (code: number) => (head = code),
        onText: (text: string) => texts.push(text),
        onClose: () => resolve(head),
        onError: reject,
      })
    })
    expect(status).toBe(200)
    expect(texts.join('')).toBe('data: a\n\ndata: é\n\n')
  })
})
