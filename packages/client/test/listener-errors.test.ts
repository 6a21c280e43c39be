import { ErrorCode, type RealtimeError } from '@org/realtime-client'
import { afterEach, describe, expect, it } from 'vitest'
import { runScript } from '../../../test/child-process.js'
import { collect, connectedClient, createClient, startServer, until } from '../../../test/support.js'

describe('listener errors', () => {
  afterEach(() => {
    delete (globalThis as { reportError?: unknown }).reportError
  })

  it('reports a throwing or rejecting listener as LISTENER_ERROR and still delivers to the listeners after it', async () => {
    const { rt, url } = await startServer()
    rt.on('connection', (conn) => {
      conn.join('room')
      conn.on('go', () => {
        conn.emit('news', 'n')
        rt.to('room').emit('room-news', 'r')
      })
    })
    const client = await connectedClient(url)
    const errors = collect<RealtimeError>(client.lifecycle, 'error')
    const received: string[] = []
    const bug = new TypeError('a bug in the app')
    client.on('news', () => {
      throw bug
    })
    client.on('news', async () => {
      throw new RangeError('a bug in an async listener')
    })
    client.on('news', (data: string) => received.push(`client ${data}`))
    const room = client.channel('room')
    room.on('room-news', () => {
      throw bug
    })
    room.on('room-news', (data: string) => received.push(`channel ${data}`))
    await client.emitWithAck('go')
    await until(() => received.length === 2 && errors.length === 3, 5000, 'every listener and every report')
    expect(received.sort()).toEqual(['channel r', 'client n'])
    expect(errors.map((error) => [error.code, error.message, (error.cause as Error).constructor.name]).sort()).toEqual([
      [ErrorCode.ListenerError, 'A listener of "news" failed', 'RangeError'],
      [ErrorCode.ListenerError, 'A listener of "news" failed', 'TypeError'],
      [ErrorCode.ListenerError, 'A listener of "room-news" failed', 'TypeError'],
    ])
    expect(client.connected).toBe(true)
  })

  it('reports a throwing lifecycle listener and goes on connecting', async () => {
    const { url } = await startServer()
    const client = createClient(url, { autoConnect: false })
    const errors = collect<RealtimeError>(client.lifecycle, 'error')
    const connected: string[] = []
    client.lifecycle.on('connect', () => {
      throw new TypeError('a bug in the app')
    })
    client.lifecycle.on('connect', () => connected.push('second listener'))
    client.connect()
    await until(() => connected.length === 1, 5000, 'the second connect listener')
    expect(errors.map((error) => error.code)).toEqual([ErrorCode.ListenerError])
    expect(client.connected).toBe(true)
  }, 10_000)

  it('hands the exception of an error listener to the platform, not back to the error event', async () => {
    const { rt, url } = await startServer()
    rt.on('connection', (conn) => conn.emit('news', 'n'))
    const platform: unknown[] = []
    ;(globalThis as { reportError?: unknown }).reportError = (error: unknown) => platform.push(error)
    const client = createClient(url, { autoConnect: false })
    const errorBug = new TypeError('a bug in the error listener')
    let errorCalls = 0
    client.lifecycle.on('error', () => {
      errorCalls++
      throw errorBug
    })
    client.on('news', () => {
      throw new TypeError('a bug in the app')
    })
    client.connect()
    await until(() => platform.length === 1, 5000, 'the report to the platform')
    expect(platform).toEqual([errorBug])
    expect(errorCalls).toBe(1)
  })

  it('keeps a Node.js process alive when a listener throws and nothing listens to error', async () => {
    const child = await runScript(new URL('./fixtures/listener-throws.ts', import.meta.url).pathname)
    try {
      expect(await child.line(/^alive/)).toBe('alive 2')
      expect(await child.exited).toBe(0)
    } finally {
      child.process.kill()
    }
  })
})
