import { connect } from 'node:net'

/** What a server answered to {@link rawRequest}. */
export interface RawAnswer {
  readonly status: number
  /** The status line and headers, lower-cased. */
  readonly head: string
  readonly body: string
}

/**
 * For tests: sends one HTTP/1.1 request line as it is (`GET //[ HTTP/1.1`: no client normalizes
 * it) to 127.0.0.1:`port`, from `localAddress` (127.0.0.1 by default; 127.0.0.2 for a bystander),
 * and returns the answer. Fails after 5 s without one.
 */
export async function rawRequest(port: number, requestLine: string, localAddress = '127.0.0.1'): Promise<RawAnswer> {
  const socket = connect({ port, host: '127.0.0.1', localAddress })
  socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${requestLine}`)))
  socket.end(`${requestLine}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
  let answer = ''
  for await (const chunk of socket) answer += String(chunk)
  const [head = '', body = ''] = answer.split('\r\n\r\n', 2)
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), head: head.toLowerCase(), body }
}

/** {@link rawRequest}'s status code alone. */
export async function rawStatus(port: number, requestLine: string): Promise<number> {
  return (await rawRequest(port, requestLine)).status
}
