import type { Channel, MessageContext } from '@org/realtime-client'
import { expect, expectTypeOf, it } from 'vitest'
import { connectedClient, describeTransports, startServer, until } from '../../../test/support.js'

interface RoomEvents {
  said: (message: { text: string }) => void
  left: (who: { name: string }) => void
}

describeTransports("a channel's '*' listener", () => {
  it('hears every message of the channel with its name and offset, after the listeners of that name, and none a feature claimed', async () => {
    const { url } = await startServer({ authorize: () => true })
    const [ann, bob] = await Promise.all([connectedClient(url), connectedClient(url)])
    const room = bob.channel<RoomEvents>('room')
    const heard: string[] = []
    const claimed: unknown[] = []
    room.feature('test:claims', ({ claim }) => claim('feature:note', (data) => claimed.push(data)))
    room.on('said', ({ text }) => heard.push(`said ${text}`))
    room.on('*', (data, { event, offset }) => heard.push(`* ${event} ${JSON.stringify(data)} ${offset}`))
    const onceHeard: string[] = []
    room.once('*', (_data, { event }) => onceHeard.push(event))
    await Promise.all([room.subscribe(), ann.channel('room').subscribe()])
    const annRoom = ann.channel('room')
    await annRoom.publishWithAck('said', { text: 'hi' })
    await annRoom.publishWithAck('feature:note', 'for the feature only')
    await annRoom.publishWithAck('left', { name: 'ann' })
    await until(() => heard.length === 3 && claimed.length === 1, 5000, 'the three messages')
    expect(heard).toEqual(['said hi', '* said {"text":"hi"} 1', '* left {"name":"ann"} 3'])
    expect(onceHeard).toEqual(['said'])
    expect(claimed).toEqual(['for the feature only'])

    const listener = (): void => void heard.push('removed listener')
    room.on('*', listener).off('*', listener)
    await annRoom.publishWithAck('said', { text: 'again' })
    await until(() => heard.length === 5, 5000, 'the next message')
    expect(heard.slice(3)).toEqual(['said again', '* said {"text":"again"} 4'])
  })
})

it("types a '*' listener's data as any event's of the map, and its context with the name", () => {
  const typed = (room: Channel<RoomEvents>, untyped: Channel) => {
    room.on('*', (data, context) => {
      expectTypeOf(data).toEqualTypeOf<{ text: string } | { name: string }>()
      expectTypeOf(context).toEqualTypeOf<MessageContext>()
      expectTypeOf(context.event).toEqualTypeOf<string>()
    })
    untyped.on('*', (data: { any: 'shape' }, { event }) => [data, event])
    // @ts-expect-error a '*' listener of a typed channel takes the map's data
    room.on('*', (data: number) => data)
  }
  expect(typed).toBeTypeOf('function')
})
