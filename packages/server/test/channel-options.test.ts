import { CHANNEL_OPTIONS_SEPARATOR, CloseCode, channelKey, type ChannelOptions } from '@org/realtime-core'
import { describe, expect, it } from 'vitest'
import type { Connection, RealtimePlugin } from '../src/index.js'
import { collect, connectedClient, once, rawSocket, startServer, until } from '../../../test/support.js'
import { bystanderClient, expectServed } from './second-address.js'

const SEP = CHANNEL_OPTIONS_SEPARATOR

describe('channel subscription options', () => {
  it('makes the same name with other options another subscription, with messages of its own', async () => {
    const asked: Array<[string, ChannelOptions | undefined]> = []
    const { rt, url } = await startServer({
      authorize: (_conn, channel, _action, options) => {
        asked.push([channel, options])
        return true
      },
    })
    const client = await connectedClient(url)
    const french = client.channel('news', { lang: 'fr', topics: ['a', 'b'] })
    const english = client.channel('news', { lang: 'en' })
    const plain = client.channel('news')
    expect(client.channel('news', { topics: ['a', 'b'], lang: 'fr' })).toBe(french)
    expect(client.channel('news', {})).toBe(plain)
    expect(new Set([french, english, plain]).size).toBe(3)
    expect(french.name).toBe('news')
    const heard = { french: collect(french, 'headline'), english: collect(english, 'headline'), plain: collect(plain, 'headline') }
    await Promise.all([french.subscribe(), english.subscribe(), plain.subscribe()])
    expect(asked).toEqual(
      expect.arrayContaining([
        ['news', { lang: 'fr', topics: ['a', 'b'] }],
        ['news', { lang: 'en' }],
        ['news', undefined],
      ]),
    )
    await expect(rt.in(`news${SEP}{"lang":"fr","topics":["a","b"]}`).count()).resolves.toBe(1)
    rt.to(channelKey('news', { topics: ['a', 'b'], lang: 'fr' })).emit('headline', 'bonjour')
    rt.to('news').emit('headline', 'plain')
    await until(() => heard.french.length === 1 && heard.plain.length === 1, 5000, 'both messages')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(heard).toEqual({ french: ['bonjour'], english: [], plain: ['plain'] })
  })

  it('hands the options to the plugin that claims the namespace, and refuses options where its plugin takes none', async () => {
    const calls: unknown[] = []
    const feeds: RealtimePlugin = {
      name: 'feeds',
      namespaces: ['feed:'],
      channelOptions: true,
      authorize: (_conn, channel, _action, _app, options) => {
        calls.push(['authorize', channel, options])
        // A cap the options may not exceed: asking for more is refused, not widened.
        return options === undefined || (typeof options.limit === 'number' && options.limit <= 10)
      },
      beforeSubscribe: (_conn, room, options) => void calls.push(['beforeSubscribe', room, options]),
      onJoin: (_conn: Connection, room: string) => void calls.push(['onJoin', room]),
    }
    const fixed: RealtimePlugin = { name: 'fixed', namespaces: ['fixed:'], authorize: () => true }
    const { url } = await startServer({ plugins: [feeds, fixed] })
    const client = await connectedClient(url)
    await expect(client.channel('feed:x', { limit: 5 }).subscribe()).resolves.toEqual({ recovered: false })
    await expect(client.channel('feed:x', { limit: 50 }).subscribe()).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(client.channel('fixed:x', { limit: 5 }).subscribe()).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('takes no options') })
    await expect(client.channel('fixed:x').subscribe()).resolves.toEqual({ recovered: false })
    const room = `feed:x${SEP}{"limit":5}`
    expect(calls.slice(0, 3)).toEqual([
      ['authorize', 'feed:x', { limit: 5 }],
      ['beforeSubscribe', room, { limit: 5 }],
      ['onJoin', room],
    ])
  })

  it('subscribes again with its options after a session resume and after a reconnect into a fresh session', async () => {
    const asked: Array<ChannelOptions | undefined> = []
    const { rt, url } = await startServer({
      authorize: (_conn, _channel, _action, options) => {
        asked.push(options)
        return true
      },
    })
    const connections = collect<Connection>(rt, 'connection')
    const client = await connectedClient(url)
    const options = { region: 'eu' }
    const channel = client.channel('prices', options)
    const prices = collect(channel, 'tick')
    const subscribed = collect<{ recovered: boolean }>(channel.lifecycle, 'subscribed')
    await channel.subscribe()
    const key = channelKey('prices', options)
    rt.to(key).emit('tick', 1)
    await until(() => prices.length === 1, 5000, 'the first tick')

    // A drop: the session is resumed and keeps its room, with missed messages replayed.
    const resumed = once(client.lifecycle, 'reconnect')
    connections[0]?.terminate()
    rt.to(key).emit('tick', 2)
    await expect(resumed).resolves.toMatchObject({ recovered: true })
    await until(() => prices.length === 2, 5000, 'the tick sent while away')

    // A session reset: a fresh session, where the client subscribes again, with its options.
    connections[0]?.disconnect(CloseCode.SessionReset, 'reset')
    await until(() => connections.length === 2 && subscribed.length === 3, 5000, 'the fresh subscription')
    await expect(rt.in(key).count()).resolves.toBe(1)
    rt.to(key).emit('tick', 3)
    await until(() => prices.length === 3, 5000, 'the third tick')
    expect(prices).toEqual([1, 2, 3])
    expect(asked).toEqual([options, options])
    // The fresh session subscribes from the offset the client reached, in the same history.
    expect(subscribed.map((event) => event.recovered)).toEqual([false, true, true])
  })

  it('refuses options over the size, depth and key bounds, or not canonical, per channel, while a bystander is served', async () => {
    const { rt, port, url } = await startServer({ authorize: () => true })
    rt.on('connection', (conn) => conn.on('echo', (data) => data))
    const bystander = await bystanderClient(url)
    const watched = bystander.channel('room', { kind: 'ok' })
    const heard = collect(watched, 'note')
    await watched.subscribe()

    const raw = await rawSocket(port)
    await raw.handshake()
    const deep = { a: { b: { c: { d: { e: 1 } } } } }
    const manyKeys = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${String(i).padStart(2, '0')}`, i]))
    const entries = [
      `room${SEP}${JSON.stringify({ text: 'x'.repeat(1100) })}`.slice(0, 256 + 1 + 1024),
      `room${SEP}${JSON.stringify(deep)}`,
      `room${SEP}${JSON.stringify(manyKeys)}`,
      `room${SEP}{"b":1,"a":2}`,
      `room${SEP}{"a": 1}`,
      `room${SEP}{}`,
      `room${SEP}[1]`,
      `room${SEP}not json`,
      channelKey('room', { a: 1, b: { c: [1, 2] } }),
    ]
    raw.send({ t: 'sub', id: 1, ch: entries })
    const answer = await raw.next((frame) => frame.t === 'ack' && frame.id === 1)
    const codes = (answer.d as Array<{ err?: { code: string } }>).map((result) => result.err?.code ?? 'ok')
    expect(codes).toEqual(['BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'ok'])
    // Past the longest channel key the frame itself is malformed.
    raw.send({ t: 'sub', id: 2, ch: [`room${SEP}{"a":"${'x'.repeat(1300)}"}`] })
    await expect(raw.next((frame) => frame.t === 'error')).resolves.toMatchObject({ code: 'BAD_FRAME' })
    // Options at the bounds are accepted: 4 levels, 32 keys.
    const atBounds = { a: { b: { c: 1 } }, ...Object.fromEntries(Array.from({ length: 29 }, (_, i) => [`k${String(i).padStart(2, '0')}`, i])) }
    raw.send({ t: 'sub', id: 3, ch: [channelKey('room', atBounds)] })
    await expect(raw.next((frame) => frame.t === 'ack' && frame.id === 3)).resolves.toMatchObject({ d: [{ ch: channelKey('room', atBounds) }] })

    rt.to(channelKey('room', { kind: 'ok' })).emit('note', 'still')
    await until(() => heard.length === 1, 5000, "the bystander's message")
    await expectServed(bystander)
  })
})
