import type { ForwardedAnswer, ForwardedRequest, ServerTransport, TransportHost } from '@org/realtime-core'

/**
 * Answers a request another node of the cluster received for an HTTP session this node holds:
 * the transport that holds it serves it as it would its own (marked as passed on, so it is not
 * passed on again), and its response is read whole. Undefined, at once, when no transport of
 * this node holds the session.
 */
export function answerForwarded(request: ForwardedRequest, hosts: ReadonlyMap<ServerTransport, TransportHost>): Promise<ForwardedAnswer> | undefined {
  for (const [transport, host] of hosts) {
    if (transport.name !== request.transport || transport.handle === undefined || transport.holds?.(request.sid) !== true) continue
    const hasBody = request.method === 'POST' && request.body !== ''
    const fetchRequest = new Request(new URL(request.url, 'http://forwarded.invalid'), {
      method: request.method,
      headers: request.headers,
      ...(hasBody ? { body: request.body } : {}),
    })
    return transport.handle(fetchRequest, { remoteAddress: request.remoteAddress, forwarded: true }, host)?.then(readAnswer)
  }
  return undefined
}

async function readAnswer(response: Response): Promise<ForwardedAnswer> {
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() }
}
