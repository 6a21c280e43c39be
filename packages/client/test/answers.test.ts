import { ErrorCode, RealtimeError } from '@org/realtime-client'
import type { Connection } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { collect, connectedClient, startServer, until } from '../../../test/support.js'

/** A server, and a client connected to it with the server's side of the connection. */
async function pair() {
  const { rt, url } = await startServer()
  const joined = new Promise<Connection>((resolve) => rt.on('connection', resolve))
  const client = await connectedClient(url)
  return { client, conn: await joined }
}

describe("the client's answers to the server's emitWithAck", () => {
  it('answers with what the first listener resolved to, and calls the other listeners as for any event', async () => {
    const { client, conn } = await pair()
    const heard: string[] = []
    client.on('ask', async (question: string) => `yes to ${question}`)
    client.on('ask', (question: string) => heard.push(question))
    await expect(conn.emitWithAck('ask', 'cookies')).resolves.toBe('yes to cookies')
    expect(heard).toEqual(['cookies'])
  })

  it('refuses with the RealtimeError a listener rejects with, reporting nothing to the app', async () => {
    const { client, conn } = await pair()
    const errors = collect<RealtimeError>(client.lifecycle, 'error')
    client.on('ask', async () => {
      throw new RealtimeError('DECLINED', 'no thanks')
    })
    await expect(conn.emitWithAck('ask')).rejects.toMatchObject({ code: 'DECLINED', message: 'no thanks' })
    await expect(conn.emitWithAck('ask')).rejects.toMatchObject({ code: 'DECLINED' })
    expect(errors).toEqual([])
  })

  it('refuses with HANDLER_ERROR when a listener fails with anything else, and reports it as LISTENER_ERROR', async () => {
    const { client, conn } = await pair()
    const errors = collect<RealtimeError>(client.lifecycle, 'error')
    const bug = new TypeError('a bug in the app')
    client.on('ask', () => {
      throw bug
    })
    await expect(conn.emitWithAck('ask')).rejects.toMatchObject({ code: ErrorCode.HandlerError, message: 'The listener failed' })
    await until(() => errors.length === 1, 5000, 'the report')
    expect(errors[0]).toMatchObject({ code: ErrorCode.ListenerError, cause: bug })
  })

  it('refuses with INVALID_PAYLOAD an answer that JSON cannot encode', async () => {
    const { client, conn } = await pair()
    client.on('ask', () => 10n)
    await expect(conn.emitWithAck('ask')).rejects.toMatchObject({ code: ErrorCode.InvalidPayload })
  })

  it('refuses with UNKNOWN_EVENT when no listener hears the event', async () => {
    const { conn } = await pair()
    await expect(conn.emitWithAck('unheard')).rejects.toMatchObject({ code: ErrorCode.UnknownEvent, message: 'No listener for "unheard"' })
  })
})
