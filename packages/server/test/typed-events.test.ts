import { RealtimeClient } from '@org/realtime-client'
import { RealtimeServer, type Connection } from '@org/realtime-server'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { once, startServer } from '../../../test/support.js'

// Type tests: `tsc -p tsconfig.typecheck.json` (part of `pnpm test`) checks them, the
// `@ts-expect-error` lines included, which fail the check when the line they mark compiles. Calls
// that would send are in functions that never run, but for the last test, which runs one round trip.

/** What clients send: the server's `ListenEvents`, the client's `EmitEvents`. */
interface ClientEvents {
  'send-message': (draft: { text: string }) => { id: string }
  typing: () => void
  note: (text?: string) => void
}

/** What the server sends: the server's `EmitEvents`, the client's `ListenEvents`. */
interface ServerEvents {
  'new-message': (message: { id: string; text: string }) => void
  confirm: (question: string) => boolean
  ping: () => void
}

interface User {
  userId: string
}

describe('typed event maps on the server', () => {
  it('types handlers of client events: data in, answer out', () => {
    const rt = new RealtimeServer<User, ClientEvents, ServerEvents>({ logger: false })
    rt.on('connection', (conn) => {
      expectTypeOf(conn).toEqualTypeOf<Connection<User, ClientEvents, ServerEvents>>()
      expectTypeOf(conn.data).toEqualTypeOf<User>()
      conn.on('send-message', (draft) => {
        expectTypeOf(draft).toEqualTypeOf<{ text: string }>()
        return { id: '1' }
      })
      conn.on('send-message', async () => ({ id: '2' }))
      conn.on('typing', () => {})
      conn.on('disconnect', (info) => expectTypeOf(info.code).toEqualTypeOf<number>())
      // @ts-expect-error `send-message` is answered with an id
      conn.on('send-message', () => 'yes')
      // @ts-expect-error the draft is an object
      conn.on('send-message', (draft: string) => ({ id: draft }))
      // @ts-expect-error clients send no `nope`
      conn.on('nope', () => {})
    })
  })

  it('types what the server sends: to a connection, to rooms, to everyone, and the answers', () => {
    const rt = new RealtimeServer<User, ClientEvents, ServerEvents>({ logger: false })
    const sends = (conn: Connection<User, ClientEvents, ServerEvents>) => {
      conn.emit('new-message', { id: '1', text: 'hi' })
      conn.emit('ping')
      expectTypeOf(conn.emitWithAck('confirm', 'sure?')).toEqualTypeOf<Promise<boolean>>()
      expectTypeOf(conn.emitWithAck('confirm', 'sure?', { timeoutMs: 100 })).toEqualTypeOf<Promise<boolean>>()
      expectTypeOf(rt.to('room').emit('new-message', { id: '1', text: 'hi' })).toEqualTypeOf<Promise<readonly number[]>>()
      void rt.except('room').emit('ping')
      void rt.local.to('room').emit('ping')
      void rt.emit('new-message', { id: '1', text: 'hi' })
      void conn.to('room').emit('new-message', { id: '2', text: 'to the others' })
      // @ts-expect-error the message needs its text
      conn.emit('new-message', { id: '1' })
      // @ts-expect-error `confirm` asks a question
      void conn.emitWithAck('confirm')
      // @ts-expect-error `ping` carries nothing
      void rt.to('room').emit('ping', 1)
      // @ts-expect-error the server sends no `nope`
      void rt.emit('nope')
    }
    expect(typeof sends).toBe('function')
  })

  it('stays untyped by default: any event, data declared by the handler', () => {
    const rt = new RealtimeServer({ logger: false })
    rt.on('connection', (conn) => {
      conn.on('anything', (data: { x: number }) => data.x)
      conn.on('other', (data) => expectTypeOf(data).toBeAny())
      const sends = () => {
        conn.emit('anything', { any: 'data' })
        conn.emit('bare')
        expectTypeOf(conn.emitWithAck('question')).toEqualTypeOf<Promise<unknown>>()
        void rt.to('room').emit('anything', 1)
      }
      expect(typeof sends).toBe('function')
    })
  })

  it('one pair of maps types both ends of a real round trip', async () => {
    const { rt, url } = await startServer<User>()
    const typed = rt as unknown as RealtimeServer<User, ClientEvents, ServerEvents>
    typed.on('connection', (conn) => conn.on('send-message', (draft) => ({ id: draft.text.toUpperCase() })))
    const client = new RealtimeClient<ServerEvents, ClientEvents>(url)
    try {
      await once(client.lifecycle, 'connect')
      const answer = await client.emitWithAck('send-message', { text: 'hi' })
      expectTypeOf(answer).toEqualTypeOf<{ id: string }>()
      expect(answer).toEqual({ id: 'HI' })
    } finally {
      client.disconnect()
    }
  })
})
