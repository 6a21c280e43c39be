import http from 'node:http'
import { Readable } from 'node:stream'

/** Statuses whose answer has no body: `Response` refuses one. */
const NO_BODY = new Set([101, 204, 205, 304])

/**
 * A `fetch` whose requests leave from `localAddress` (say 127.0.0.2, another peer for the server's
 * per-address limits), on Node's `http` with a connection per request. It does what the HTTP
 * transports' client halves ask of `fetch`: a method, headers, a text body, an abort signal, and a
 * streamed answer.
 */
export function fetchFrom(localAddress: string): typeof fetch {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      const signal = init.signal ?? undefined
      const body = init.body
      if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) return reject(new TypeError('fetchFrom sends text or bytes only'))
      if (signal?.aborted) return reject(new DOMException('This operation was aborted', 'AbortError'))
      const request = http.request(url, { method: init.method ?? 'GET', headers: Object.fromEntries(new Headers(init.headers)), localAddress, agent: false })
      signal?.addEventListener('abort', () => request.destroy(new DOMException('This operation was aborted', 'AbortError')), { once: true })
      request.once('error', reject)
      request.once('response', (answer) => {
        const headers = new Headers()
        for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
        const status = answer.statusCode ?? 500
        if (NO_BODY.has(status)) answer.resume()
        resolve(new Response(NO_BODY.has(status) ? null : (Readable.toWeb(answer) as ReadableStream<Uint8Array>), { status, headers }))
      })
      request.end(body ?? undefined)
    })
}

/** A `fetch` that records the URL of every request it makes, for a client transport's `fetch` option. */
export function recordingFetch(): { urls: string[]; fetch: typeof fetch } {
  const urls: string[] = []
  return {
    urls,
    fetch: (input, init) => {
      urls.push(String(input))
      return fetch(input, init)
    },
  }
}
