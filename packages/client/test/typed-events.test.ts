import {
  RealtimeClient,
  type Channel,
  type DisconnectEvent,
  type MessageContext,
  type RealtimeError,
  type SubscribedEvent,
} from '@org/realtime-client'
import { describe, expectTypeOf, it } from 'vitest'

// Type tests: `tsc -p tsconfig.typecheck.json` (part of `pnpm test`) checks them, the `@ts-expect-error`
// lines included, which fail the check when the line they mark compiles. Calls that would send are
// in functions that never run: these tests open no connection.

interface ServerEvents {
  notice: (notice: { text: string }) => void
  confirm: (question: string) => boolean
  ping: () => void
}

interface ClientEvents {
  'send-message': (draft: { text: string }) => { id: string }
  typing: () => void
  note: (text?: string) => void
}

interface RoomEvents {
  'new-message': (message: { id: string }) => void
}

const url = 'http://127.0.0.1:9/realtime'

describe('typed event maps', () => {
  it('types the listeners of server events: data in, answer out', () => {
    const client = new RealtimeClient<ServerEvents, ClientEvents>(url, { autoConnect: false })
    client.on('notice', (notice) => expectTypeOf(notice).toEqualTypeOf<{ text: string }>())
    client.on('confirm', (question) => question.length > 1)
    client.once('confirm', async () => true)
    client.on('ping', () => {})
    // @ts-expect-error the answer to `confirm` is a boolean
    client.on('confirm', () => 'yes')
    // @ts-expect-error `notice` carries an object, not a string
    client.on('notice', (notice: string) => notice)
    // @ts-expect-error the server sends no `nope`
    client.on('nope', () => {})
  })

  it('types emits by the client map: data required when the listener takes it, answers as the handler returns them', () => {
    const client = new RealtimeClient<ServerEvents, ClientEvents>(url, { autoConnect: false })
    const sends = () => {
      expectTypeOf(client.emitWithAck('send-message', { text: 'hi' })).toEqualTypeOf<Promise<{ id: string }>>()
      expectTypeOf(client.emitWithAck('send-message', { text: 'hi' }, { timeoutMs: 100 })).toEqualTypeOf<Promise<{ id: string }>>()
      client.emit('typing')
      client.emit('note')
      client.emit('note', 'text')
      // @ts-expect-error `send-message` needs its draft
      client.emit('send-message')
      // @ts-expect-error the draft's text is a string
      client.emit('send-message', { text: 1 })
      // @ts-expect-error `typing` carries no data
      client.emit('typing', 1)
      // @ts-expect-error the client map has no `nope`
      client.emit('nope')
    }
    expectTypeOf(sends).toBeFunction()
  })

  it('types channels by their own map, with the message context', () => {
    const client = new RealtimeClient<ServerEvents, ClientEvents>(url, { autoConnect: false })
    const room = client.channel<RoomEvents>('room:1')
    expectTypeOf(room).toEqualTypeOf<Channel<RoomEvents>>()
    room.on('new-message', (message, context) => {
      expectTypeOf(message).toEqualTypeOf<{ id: string }>()
      expectTypeOf(context).toEqualTypeOf<MessageContext>()
      expectTypeOf(context.offset).toEqualTypeOf<number | undefined>()
    })
    // @ts-expect-error the room carries no `notice`
    room.on('notice', () => {})
    const sends = () => {
      room.publish('new-message', { id: 'm1' })
      expectTypeOf(room.publishWithAck('new-message', { id: 'm1' }, { timeoutMs: 100 })).toEqualTypeOf<Promise<void>>()
      // @ts-expect-error the id is a string
      room.publish('new-message', { id: 1 })
    }
    expectTypeOf(sends).toBeFunction()
  })

  it('types the lifecycles apart from app events', () => {
    const client = new RealtimeClient<ServerEvents, ClientEvents>(url, { autoConnect: false })
    client.lifecycle.on('disconnect', (event) => expectTypeOf(event).toEqualTypeOf<DisconnectEvent>())
    client.lifecycle.once('error', (error) => expectTypeOf(error).toEqualTypeOf<RealtimeError>())
    client.channel('c').lifecycle.on('subscribed', (event) => expectTypeOf(event).toEqualTypeOf<SubscribedEvent>())
    client.channel('c').lifecycle.on('unsubscribed', ({ error }) => expectTypeOf(error).toEqualTypeOf<RealtimeError | undefined>())
    // @ts-expect-error `notice` is an app event, not a lifecycle event
    client.lifecycle.on('notice', () => {})
    // @ts-expect-error `connect` has no payload
    client.lifecycle.on('connect', (payload: string) => payload)
    // @ts-expect-error `subscribed` is a channel's lifecycle event, not the client's
    client.lifecycle.on('subscribed', () => {})
  })

  it('accepts any event and data without type arguments, as unknown rather than any', () => {
    const client = new RealtimeClient(url, { autoConnect: false })
    client.on('anything', (data) => expectTypeOf(data).toBeUnknown())
    client.on('typed-by-the-listener', (data: { n: number }) => data.n)
    client.channel('c').on('m', (data, { offset }) => {
      expectTypeOf(data).toBeUnknown()
      expectTypeOf(offset).toEqualTypeOf<number | undefined>()
    })
    client.channel('c').on('m', (data: string[]) => data.length)
    const sends = () => {
      client.emit('x')
      client.emit('x', { any: 'thing' })
      expectTypeOf(client.emitWithAck('x')).toEqualTypeOf<Promise<unknown>>()
      client.channel('c').publish('m', 1)
    }
    expectTypeOf(sends).toBeFunction()
  })
})
