import type { Connection, RealtimeServer } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { connectedClient, once, startServer } from '../../../test/support.js'

/** What a dev server keeps across module evaluations, as docs/transports.md's "Hot reload" shows. */
interface Kept {
  rt?: RealtimeServer
  attach?: (conn: Connection) => void
}

/**
 * One evaluation of the app's realtime module: the server is made once, the handlers of this
 * evaluation replace those of the last one, on new, open and resumed connections alike.
 */
function evaluateModule(kept: Kept, rt: RealtimeServer, reply: string): void {
  kept.rt ??= rt
  const attach = (conn: Connection): void => {
    conn.on('greet', () => reply)
  }
  if (kept.attach !== undefined) {
    kept.rt.off('connection', kept.attach)
    kept.rt.off('resumed', kept.attach)
  }
  kept.attach = attach
  kept.rt.on('connection', attach)
  kept.rt.on('resumed', attach)
  for (const conn of kept.rt.connections.values()) attach(conn)
}

describe('hot reload', () => {
  it('puts edited handlers to work on open connections, without a reconnect or a lost session', async () => {
    const { rt, url } = await startServer()
    const kept: Kept = {}
    evaluateModule(kept, rt, 'hello v1')
    const client = await connectedClient(url)
    await expect(client.emitWithAck('greet')).resolves.toBe('hello v1')
    const sessionId = client.id
    // The module is evaluated again after an edit.
    evaluateModule(kept, rt, 'hello v2')
    await expect(client.emitWithAck('greet')).resolves.toBe('hello v2')
    expect(client.id).toBe(sessionId)
    // A session that was away during the edit gets the new handlers when it comes back.
    const resumed = once(rt, 'resumed')
    ;(rt.connections.get(client.id as string) as Connection).terminate()
    evaluateModule(kept, rt, 'hello v3')
    await resumed
    await expect(client.emitWithAck('greet')).resolves.toBe('hello v3')
    expect(client.id).toBe(sessionId)
    expect(rt.listenerCount('connection')).toBe(1)
  })
})
