import { ErrorCode } from '@org/realtime-core'
import type { Connection, RealtimeServer } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { collect, once, rawSocket, startServer, until, type RawSocket } from '../../../test/support.js'
import { BYSTANDER_ADDRESS, bystanderClient, expectServed, rawSocketFrom } from './second-address.js'

const everyone = { authorize: () => true }

/** Answers `echo` with its data, for the bystander's checks. */
function echo(rt: RealtimeServer): void {
  rt.on('connection', (conn) => conn.on('echo', (data) => data))
}

/** Opens a resumable session from `peer` and returns its welcome. */
async function openSession(peer: RawSocket): Promise<any> {
  peer.send({ t: 'hello', v: 1, recoverable: true })
  return peer.next((frame) => frame.t === 'welcome')
}

/** Opens a resumable session from `address`, then drops its socket; resolves once the server has detached it. */
async function park(rt: RealtimeServer, port: number, address = '127.0.0.1'): Promise<any> {
  const peer = await rawSocketFrom(port, address)
  const welcome = await openSession(peer)
  peer.ws.terminate()
  await until(() => !rt.connections.has(welcome.sid), 2000, 'the server to see the drop')
  return welcome
}

/** Asks to resume the session of `welcome` on a new socket; returns the new welcome. */
async function resume(port: number, welcome: any, address = '127.0.0.1'): Promise<any> {
  const peer = await rawSocketFrom(port, address)
  peer.send({ t: 'hello', v: 1, resume: { token: welcome.token, s: 0 } })
  return peer.next((frame) => frame.t === 'welcome')
}

describe('dropped sessions waiting to be resumed', () => {
  it('keeps at most detachedSessionsPerIp of one address waiting, ending the longest waiting first, while another address resumes', async () => {
    const { rt, port, url } = await startServer({ ...everyone, rateLimit: { connectionsPerIp: 2, detachedSessionsPerIp: 3 } })
    echo(rt)
    const ended = collect<Connection>(rt, 'disconnect')
    const bystanderSession = await park(rt, port, BYSTANDER_ADDRESS)
    // The attack: park sessions one after the other; connectionsPerIp counts only open sockets.
    const parked: any[] = []
    for (let n = 0; n < 12; n++) parked.push(await park(rt, port))
    expect(ended.map((conn) => conn.id)).toEqual(parked.slice(0, 9).map((welcome) => welcome.sid))
    // The three that waited least are still there; the others are gone.
    const newest = await resume(port, parked[11])
    expect(newest).toMatchObject({ sid: parked[11].sid, resumed: true })
    const oldest = await resume(port, parked[0])
    expect(oldest.resumed).toBeUndefined()
    expect(oldest.err).toMatchObject({ code: ErrorCode.UnknownSession })
    // Another address is counted on its own: its session waited through all of it.
    const back = await resume(port, bystanderSession, BYSTANDER_ADDRESS)
    expect(back).toMatchObject({ sid: bystanderSession.sid, resumed: true })
    await expectServed(await bystanderClient(url))
  })

  it('reports an evicted session as gone with the code of its drop, as when its window runs out', async () => {
    const { rt, port } = await startServer({ ...everyone, rateLimit: { detachedSessionsPerIp: 1 } })
    const first = await park(rt, port)
    const ended: Array<{ id: string; code: number }> = []
    rt.on('disconnect', (conn, info) => ended.push({ id: conn.id, code: info.code }))
    await park(rt, port)
    await until(() => ended.length > 0, 2000, 'the eviction')
    expect(ended).toEqual([{ id: first.sid, code: 1006 }])
  })

  it('keeps at most recovery.maxDetachedSessions waiting in all, ending the longest waiting first', async () => {
    const { rt, port, url } = await startServer({ ...everyone, recovery: { maxDetachedSessions: 2 } })
    echo(rt)
    const ended = collect<Connection>(rt, 'disconnect')
    const first = await park(rt, port, BYSTANDER_ADDRESS)
    const second = await park(rt, port)
    const third = await park(rt, port)
    expect(ended.map((conn) => conn.id)).toEqual([first.sid])
    expect((await resume(port, first, BYSTANDER_ADDRESS)).err).toMatchObject({ code: ErrorCode.UnknownSession })
    expect(await resume(port, second)).toMatchObject({ sid: second.sid, resumed: true })
    expect(await resume(port, third)).toMatchObject({ sid: third.sid, resumed: true })
    await expectServed(await bystanderClient(url))
  })

  it('turns the per-address count off with rateLimit: false, and keeps the server-wide one', async () => {
    const { rt, port } = await startServer({ ...everyone, rateLimit: false, recovery: { maxDetachedSessions: 4 } })
    const ended = collect<Connection>(rt, 'disconnect')
    const parked: any[] = []
    for (let n = 0; n < 5; n++) parked.push(await park(rt, port))
    expect(ended.map((conn) => conn.id)).toEqual([parked[0].sid])
  })
})

describe('unconfirmed frames kept per session', () => {
  it('stops keeping a session whose client never confirms past recovery.sessionBytes, and ends it at its drop', async () => {
    const { rt, port, url } = await startServer({ ...everyone, recovery: { sessionBytes: 16_384 } })
    echo(rt)
    const connected = once<Connection>(rt, 'connection')
    const peer = await rawSocket(port)
    const welcome = await openSession(peer)
    const conn = await connected
    conn.on('fill', () => 'x'.repeat(700))
    // The attack: numbered requests whose answers the server must keep until a `rcv` that never comes.
    for (let n = 1; n <= 60; n++) peer.send({ t: 'event', e: 'fill', d: n, id: n, s: n })
    await peer.next((frame) => frame.t === 'ack' && frame.id === 60)
    expect(conn.resumable).toBe(false)
    const ended = once<Connection>(rt, 'disconnect')
    peer.ws.terminate()
    expect((await ended).id).toBe(welcome.sid)
    expect((await resume(port, welcome)).err).toMatchObject({ code: ErrorCode.UnknownSession })
    await expectServed(await bystanderClient(url))
  })

  it('keeps a session resumable while its client confirms what it was sent', async () => {
    const { rt, port } = await startServer({ ...everyone, recovery: { sessionBytes: 16_384 } })
    const connected = once<Connection>(rt, 'connection')
    const peer = await rawSocket(port)
    await openSession(peer)
    const conn = await connected
    conn.on('fill', () => 'x'.repeat(700))
    for (let n = 1; n <= 60; n++) {
      peer.send({ t: 'event', e: 'fill', d: n, id: n, s: n })
      const answer = await peer.next((frame) => frame.t === 'ack' && frame.id === n)
      peer.send({ t: 'rcv', s: answer.s })
    }
    expect(conn.resumable).toBe(true)
  })

  it('ends a detached session at once when what is sent to it while away outgrows recovery.sessionBytes', async () => {
    const { rt, port } = await startServer({ ...everyone, recovery: { sessionBytes: 4096 } })
    const connected = once<Connection>(rt, 'connection')
    const welcome = await park(rt, port)
    const conn = await connected
    const ended = once<Connection>(rt, 'disconnect')
    conn.emit('news', 'x'.repeat(3000))
    expect(conn.resumable).toBe(true)
    conn.emit('news', 'x'.repeat(3000))
    expect((await ended).id).toBe(welcome.sid)
    expect((await resume(port, welcome)).err).toMatchObject({ code: ErrorCode.UnknownSession })
  })
})
