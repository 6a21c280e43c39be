import { ErrorCode, RealtimeError } from '@org/realtime-core'
import type { Connection } from '@org/realtime-server'
import { expect, it } from 'vitest'
import { connectedClient, describeTransports, once, startServer } from '../../../test/support.js'

async function pair(options: Parameters<typeof startServer>[0] = {}) {
  const server = await startServer(options)
  const connected = once<Connection>(server.rt, 'connection')
  const client = await connectedClient(server.url)
  return { ...server, client, conn: await connected }
}

describeTransports('acknowledgements', () => {
  it('resolves a client emitWithAck with what the handler returned', async () => {
    const { conn, client } = await pair()
    conn.on('add', async ({ a, b }: { a: number; b: number }) => a + b)
    await expect(client.emitWithAck('add', { a: 2, b: 3 })).resolves.toBe(5)
  })

  it('rejects with the code and message of a RealtimeError thrown by the handler', async () => {
    const { conn, client } = await pair()
    conn.on('save', () => {
      throw new RealtimeError('BAD_INPUT', 'title is required')
    })
    await expect(client.emitWithAck('save', {})).rejects.toMatchObject({ name: 'RealtimeError', code: 'BAD_INPUT', message: 'title is required' })
  })

  it('rejects with HANDLER_ERROR and no detail when the handler throws anything else', async () => {
    const { conn, client } = await pair()
    conn.on('save', async () => {
      throw new Error('database password is hunter2')
    })
    const error = (await client.emitWithAck('save').catch((e: unknown) => e)) as RealtimeError
    expect(error.code).toBe(ErrorCode.HandlerError)
    expect(error.message).not.toContain('hunter2')
  })

  it('answers each event with its own handler, the latest for an event, and none after off', async () => {
    const { conn, client } = await pair()
    for (const name of ['a', 'b', 'c']) conn.on(name, () => name)
    conn.on('b', () => 'b again')
    conn.off('a')
    expect(await client.emitWithAck('b')).toBe('b again')
    expect(await client.emitWithAck('c')).toBe('c')
    await expect(client.emitWithAck('a')).rejects.toMatchObject({ code: ErrorCode.UnknownEvent })
    conn.on('a', () => 'a back')
    expect(await client.emitWithAck('a')).toBe('a back')
  })

  it('rejects with UNKNOWN_EVENT when the server has no handler', async () => {
    const { client } = await pair()
    await expect(client.emitWithAck('nobody-listens')).rejects.toMatchObject({ code: ErrorCode.UnknownEvent })
  })

  it('rejects a client emitWithAck with TIMEOUT when the handler does not answer in time', async () => {
    const { conn, client } = await pair()
    conn.on('slow', () => new Promise(() => {}))
    await expect(client.emitWithAck('slow', null, { timeoutMs: 50 })).rejects.toMatchObject({ code: ErrorCode.Timeout })
  })

  it('resolves a server emitWithAck with what the client listener returned', async () => {
    const { conn, client } = await pair()
    client.on('confirm', (question: string) => `yes to ${question}`)
    await expect(conn.emitWithAck('confirm', 'cookies')).resolves.toBe('yes to cookies')
  })

  it('rejects a server emitWithAck with the client listener error code', async () => {
    const { conn, client } = await pair()
    client.on('confirm', () => {
      throw new RealtimeError('DECLINED', 'no thanks')
    })
    await expect(conn.emitWithAck('confirm')).rejects.toMatchObject({ code: 'DECLINED', message: 'no thanks' })
  })

  it('rejects a server emitWithAck with TIMEOUT when the client does not answer in time', async () => {
    const { conn, client } = await pair()
    client.on('confirm', () => new Promise(() => {}))
    await expect(conn.emitWithAck('confirm', null, { timeoutMs: 50 })).rejects.toMatchObject({ code: ErrorCode.Timeout })
  })

  it('rejects a server emitWithAck with UNKNOWN_EVENT when the client has no listener', async () => {
    const { conn } = await pair()
    await expect(conn.emitWithAck('unheard')).rejects.toMatchObject({ code: ErrorCode.UnknownEvent })
  })

  it('rejects pending acks on both sides with DISCONNECTED when the connection drops without recovery', async () => {
    const { conn, client } = await pair({ recovery: false })
    const never = new Promise(() => {})
    const handled = Promise.all([
      new Promise<void>((resolve) => conn.on('slow', () => (resolve(), never))),
      new Promise<void>((resolve) => client.on('slow', () => (resolve(), never))),
    ])
    const fromClient = client.emitWithAck('slow', null, { timeoutMs: 10_000 })
    const fromServer = conn.emitWithAck('slow', null, { timeoutMs: 10_000 })
    await handled
    conn.terminate()
    await Promise.all([
      expect(fromClient).rejects.toMatchObject({ code: ErrorCode.Disconnected }),
      expect(fromServer).rejects.toMatchObject({ code: ErrorCode.Disconnected }),
    ])
  })

  it('runs event middleware in order around handlers, and lets it refuse or rewrite events', async () => {
    const { rt, conn, client } = await pair()
    const order: string[] = []
    rt.useEvent(async (event, next) => {
      order.push(`outer:${event.event}`)
      if (event.event === 'forbidden') throw new RealtimeError(ErrorCode.Forbidden, 'not you')
      await next()
      order.push('outer:after')
    })
    rt.useEvent((event, next) => {
      order.push('inner')
      event.data = { wrapped: event.data }
      return next()
    })
    conn.on('echo', (data) => data)
    await expect(client.emitWithAck('echo', 1)).resolves.toEqual({ wrapped: 1 })
    await expect(client.emitWithAck('forbidden')).rejects.toMatchObject({ code: ErrorCode.Forbidden })
    expect(order).toEqual(['outer:echo', 'inner', 'outer:after', 'outer:forbidden'])
  })
})
