import { CloseCode, ErrorCode, RealtimeError } from '@org/realtime-core'
import { describe, expect, it } from 'vitest'
import { connectedClient, describeTransports, once, rawPeer, rawSocket, startServer } from '../../../test/support.js'

/** A server with an echo handler, a well-behaved client, and a raw socket past its handshake. */
async function setup(options: Parameters<typeof startServer>[0] = {}) {
  const server = await startServer(options)
  server.rt.on('connection', (conn) => conn.on('echo', (data) => data))
  const bystander = await connectedClient(server.url)
  const raw = await rawPeer(server.port)
  await raw.handshake()
  return { ...server, bystander, raw }
}

const malformed: Array<[string, string]> = [
  ['invalid JSON', '{"t":"event",'],
  ['a JSON array', '["event","x"]'],
  ['a JSON string', '"event"'],
  ['null', 'null'],
  ['a missing type', '{"e":"x"}'],
  ['a numeric type', '{"t":7}'],
  ['an event without a name', '{"t":"event"}'],
  ['an empty event name', '{"t":"event","e":""}'],
  ['an over-long event name', JSON.stringify({ t: 'event', e: 'x'.repeat(300) })],
  ['a negative ack id', '{"t":"event","e":"echo","id":-1}'],
  ['a fractional ack id', '{"t":"event","e":"echo","id":1.5}'],
  ['a huge ack id', '{"t":"event","e":"echo","id":1e300}'],
  ['a channel on a client event', '{"t":"event","e":"echo","ch":"room"}'],
  ['a subscription without channels', '{"t":"sub","id":1,"ch":[]}'],
  ['a subscription to a non-string channel', '{"t":"sub","id":1,"ch":[{"__proto__":{"admin":true}}]}'],
  ['an ack with a malformed error', '{"t":"ack","id":1,"err":"boom"}'],
]

describeTransports('bad input', () => {
  it.each(malformed)('answers %s with BAD_FRAME and keeps serving everyone', async (_name, frame) => {
    const { raw, bystander } = await setup()
    raw.send(frame)
    expect(await raw.next((f) => f.t === 'error')).toMatchObject({ t: 'error', code: ErrorCode.BadFrame })
    raw.send({ t: 'event', e: 'echo', d: 'still here', id: 7 })
    expect(await raw.next((f) => f.t === 'ack')).toEqual({ t: 'ack', id: 7, d: 'still here' })
    await expect(bystander.emitWithAck('echo', 'fine')).resolves.toBe('fine')
  })

  it('answers an unknown frame type with UNKNOWN_FRAME', async () => {
    const { raw } = await setup()
    raw.send({ t: 'teleport' })
    expect(await raw.next((f) => f.t === 'error')).toMatchObject({ code: ErrorCode.UnknownFrame })
  })

  it('answers a server-only frame type sent by a client with UNKNOWN_FRAME', async () => {
    const { raw } = await setup()
    raw.send({ t: 'welcome', v: 1, sid: 'x', pingInterval: 1, pingTimeout: 1, maxPayload: 1 })
    expect(await raw.next((f) => f.t === 'error')).toMatchObject({ code: ErrorCode.UnknownFrame })
  })

  it('answers a second hello with BAD_FRAME', async () => {
    const { raw } = await setup()
    raw.send({ t: 'hello', v: 1 })
    expect(await raw.next((f) => f.t === 'error')).toMatchObject({ code: ErrorCode.BadFrame })
  })

  it('does not let a __proto__ key pollute prototypes', async () => {
    const { raw } = await setup()
    raw.send('{"t":"event","e":"echo","id":3,"d":{"__proto__":{"polluted":true}}}')
    await raw.next((f) => f.t === 'ack')
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined()
  })

  it('closes a connection that sends a frame over maxPayload with 1009, and keeps serving others', async () => {
    const { raw, bystander } = await setup({ maxPayload: 1024 })
    raw.send({ t: 'event', e: 'echo', d: 'x'.repeat(2000) })
    expect((await raw.closed).code).toBe(CloseCode.MessageTooBig)
    await expect(bystander.emitWithAck('echo', 'fine')).resolves.toBe('fine')
  })

  it('refuses an over-large emit in the client before sending it', async () => {
    const { bystander } = await setup({ maxPayload: 1024 })
    expect(() => bystander.emit('echo', 'x'.repeat(2000))).toThrowError(expect.objectContaining({ code: ErrorCode.PayloadTooLarge }))
    await expect(bystander.emitWithAck('echo', 'x'.repeat(2000))).rejects.toMatchObject({ code: ErrorCode.PayloadTooLarge })
    await expect(bystander.emitWithAck('echo', 'small')).resolves.toBe('small')
  })

  it('refuses a payload that cannot be encoded with INVALID_PAYLOAD', async () => {
    const { bystander } = await setup()
    const circular: { self?: unknown } = {}
    circular.self = circular
    expect(() => bystander.emit('echo', circular)).toThrowError(expect.objectContaining({ code: ErrorCode.InvalidPayload }))
    expect(() => bystander.emit('echo', 10n)).toThrowError(expect.objectContaining({ code: ErrorCode.InvalidPayload }))
  })

  it('answers with INVALID_PAYLOAD when a handler returns something that cannot be encoded', async () => {
    const { rt, url } = await startServer()
    rt.on('connection', (conn) => conn.on('bigint', () => 10n))
    const client = await connectedClient(url)
    await expect(client.emitWithAck('bigint')).rejects.toMatchObject({ code: ErrorCode.InvalidPayload })
  })

  it('handles client events and publishes named like client lifecycle events as any other', async () => {
    const { rt, url } = await startServer({ authorize: () => true })
    rt.on('connection', (conn) => conn.on('connect', (data) => data))
    const [client, listener] = await Promise.all([connectedClient(url), connectedClient(url)])
    await listener.channel('status').subscribe()
    const heard = once(listener.channel('status'), 'error')
    await expect(client.emitWithAck('connect', 'hi')).resolves.toBe('hi')
    await client.channel('status').publishWithAck('error', { down: true })
    expect(await heard).toEqual({ down: true })
  })
})

describeTransports('oversized frames', () => {
  it('reports the 1009 close of an oversized frame to the server too', async () => {
    const { rt, port } = await startServer({ maxPayload: 1024 })
    const raw = await rawPeer(port)
    await raw.handshake()
    const disconnected = new Promise<number>((resolve) => rt.once('disconnect', (_conn, info) => resolve(info.code)))
    raw.send({ t: 'event', e: 'echo', d: 'x'.repeat(2000) })
    expect(await disconnected).toBe(CloseCode.MessageTooBig)
  })

})

describe('bad input at the WebSocket transport', () => {
  it('closes a connection that sends a binary frame with 1003', async () => {
    const { port } = await startServer()
    const raw = await rawSocket(port)
    await raw.handshake()
    raw.ws.send(Buffer.from('{"t":"pong"}'))
    expect((await raw.closed).code).toBe(1003)
  })

  it('cuts a refusal reason to the 123 bytes a close frame can carry', async () => {
    const { rt, port } = await startServer()
    const code = `NOT_ON_THE_GUEST_LIST_${'X'.repeat(150)}`
    rt.use(() => {
      throw new RealtimeError(code, 'no')
    })
    const raw = await rawSocket(port)
    raw.send({ t: 'hello', v: 1 })
    const closed = await raw.closed
    expect(closed.code).toBe(CloseCode.Forbidden)
    expect(code.startsWith(closed.reason)).toBe(true)
    expect(Buffer.byteLength(closed.reason)).toBe(123)
    expect(raw.frames[0]).toEqual({ t: 'error', code, message: 'no' })
  })
})
