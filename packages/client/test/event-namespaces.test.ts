import { ErrorCode, type RealtimeError } from '@org/realtime-core'
import type { Connection } from '@org/realtime-server'
import { expect, it } from 'vitest'
import { collect, connectedClient, describeTransports, once, startServer, until } from '../../../test/support.js'

describeTransports('client event namespaces', () => {
  it('delivers app events named like lifecycle events to app listeners, never to the lifecycle', async () => {
    const { rt, url } = await startServer()
    const connected = once<Connection>(rt, 'connection')
    const client = await connectedClient(url)
    const conn = await connected
    const heard = ['connect', 'disconnect', 'reconnect', 'error'].map((name) => collect(client, name))
    const lifecycle = ['connect', 'disconnect', 'reconnect', 'error'].map((name) => collect(client.lifecycle, name))
    for (const name of ['connect', 'disconnect', 'reconnect', 'error']) conn.emit(name, name)
    const marker = once(client, 'marker')
    conn.emit('marker')
    await marker
    expect(heard).toEqual([['connect'], ['disconnect'], ['reconnect'], ['error']])
    expect(lifecycle).toEqual([[], [], [], []])
    expect(client.connected).toBe(true)
  })

  it('delivers a room broadcast once, on the room channel with its offset, to a client the server joined', async () => {
    const { rt, url } = await startServer()
    rt.on('connection', (conn) => conn.join('room:1'))
    const client = await connectedClient(url)
    const onClient = collect(client, 'news')
    const onChannel: Array<[unknown, number | undefined]> = []
    client.channel('room:1').on('news', (data, { offset }) => onChannel.push([data, offset]))
    rt.to('room:1').emit('news', 'a')
    rt.to('room:1').emit('news', 'b')
    rt.emit('news', 'to everyone')
    await until(() => onClient.length === 1, 2000, 'the broadcast to everyone')
    expect(onChannel).toEqual([
      ['a', 1],
      ['b', 2],
    ])
    expect(onClient).toEqual(['to everyone'])
    expect(client.channel('room:1').state).toBe('unsubscribed')
  })

  it('calls a once listener for one event, on the client, a channel and both lifecycles, and off removes one', async () => {
    const { rt, url } = await startServer({ authorize: () => true })
    const connected = once<Connection>(rt, 'connection')
    const client = await connectedClient(url)
    const conn = await connected
    const heard: string[] = []
    const removed = (): void => {
      heard.push('removed')
    }
    client.once('ping', (n) => heard.push(`client ${String(n)}`))
    client.once('ping', removed).off('ping', removed)
    const channel = client.channel('room')
    channel.once('tick', (n) => heard.push(`channel ${String(n)}`))
    channel.lifecycle.once('subscribed', () => heard.push('subscribed'))
    client.lifecycle.once('disconnect', () => heard.push('disconnect'))
    await channel.subscribe()
    for (const n of [1, 2]) {
      conn.emit('ping', n)
      rt.to('room').emit('tick', n)
    }
    const marker = once(client, 'marker')
    conn.emit('marker')
    await marker
    channel.unsubscribe()
    await channel.subscribe()
    client.disconnect()
    expect(heard).toEqual(['subscribed', 'client 1', 'channel 1', 'disconnect'])
  })

  it('reports a refused resubscription once, as the channel lifecycle error, and its end as unsubscribed', async () => {
    let allowed = true
    const { rt, url } = await startServer({ recovery: false, authorize: () => allowed })
    const client = await connectedClient(url)
    const channel = client.channel('room')
    await channel.subscribe()
    const clientErrors = collect<RealtimeError>(client.lifecycle, 'error')
    const ended = collect(channel.lifecycle, 'unsubscribed')
    const refused = once<RealtimeError>(channel.lifecycle, 'error')
    allowed = false
    for (const conn of rt.connections.values()) conn.terminate()
    expect((await refused).code).toBe(ErrorCode.Forbidden)
    expect(channel.state).toBe('unsubscribed')
    expect(ended).toEqual([{ error: expect.objectContaining({ code: ErrorCode.Forbidden }) }])
    expect(clientErrors).toEqual([])
  })

  it('reports a refused publish by its promise only, and a refused plain publish as the client lifecycle error', async () => {
    const { url } = await startServer({ authorize: (_conn, channel) => channel === 'open' })
    const client = await connectedClient(url)
    const errors = collect<RealtimeError>(client.lifecycle, 'error')
    const channelErrors = collect<RealtimeError>(client.channel('closed').lifecycle, 'error')
    await expect(client.channel('closed').publishWithAck('x', 1)).rejects.toMatchObject({ code: ErrorCode.Forbidden })
    expect(errors).toEqual([])
    const reported = once<RealtimeError>(client.lifecycle, 'error')
    client.channel('closed').publish('x', 2)
    expect((await reported).code).toBe(ErrorCode.Forbidden)
    expect(errors).toHaveLength(1)
    expect(channelErrors).toEqual([])
  })

  it('unsubscribed carries no error when the app leaves the channel', async () => {
    const { url } = await startServer({ authorize: () => true })
    const client = await connectedClient(url)
    const channel = client.channel('room')
    await channel.subscribe()
    const ended = collect(channel.lifecycle, 'unsubscribed')
    channel.unsubscribe()
    expect(ended).toEqual([{}])
  })
})
