import { fileURLToPath } from 'node:url'
import { ErrorCode } from '@org/realtime-core'
import { afterEach, describe, expect, it } from 'vitest'
import { runScript, type ChildScript } from '../../../test/child-process.js'
import { connectedClient, rawSocket, transportCases } from '../../../test/support.js'
import { RawHttpPeer } from '../../../test/raw-http-peer.js'

const fixture = fileURLToPath(new URL('./fixtures/hostile-target-server.ts', import.meta.url))
const deep = '['.repeat(10_000) + ']'.repeat(10_000)

/** Every frame the audit's attacks send, and a few more that make the server's code fail. */
const attack = [
  `{"t":"pub","ch":"public:lobby","e":"m","d":${deep}}`,
  `{"t":"event","e":"send-message","id":1,"d":${deep}}`,
  `{"t":"event","e":"echo","d":${deep}}`,
  `{"t":"ack","id":1,"d":${deep}}`,
  `{"t":"auth","id":2,"auth":${deep}}`,
  `{"t":"hello","v":1,"auth":${deep}}`,
  '{"t":"event","e":"relay-deep","id":3}',
  '{"t":"event","e":"throws","id":4}',
  '{"t":"event","e":"throws"}',
  '{"t":"event","e":"throws-realtime","id":5}',
  '{"t":"sub","id":6,"ch":["public:lobby","public:throws","private:x"],"since":{"public:lobby":{"epoch":"e","offset":0}}}',
  '{"t":"hist","id":7,"ch":"public:lobby"}',
  '{"t":"hist","id":8,"ch":"public:throws"}',
  '{"t":"auth","id":9,"auth":{"name":"throw"}}',
  '{"t":"pub","ch":"public:lobby","e":"m","d":1,"id":10}',
  '{"t":"unsub","ch":["public:lobby"],"id":11}',
  '{"t":"hist","id":12,"ch":"public:lobby","since":0}',
]

describe('a server under attack in its own process', () => {
  let child: ChildScript | undefined

  afterEach(() => {
    child?.process.kill('SIGKILL')
    child = undefined
  })

  it('lets no error on any path become an unhandled rejection, keeps serving, and exits by itself after close', async () => {
    child = await runScript(fixture)
    const port = Number((await child.line(/^ready \d+$/)).split(' ')[1])
    const url = `http://127.0.0.1:${port}/realtime`
    for (const transport of transportCases) {
      const peer =
        transport.name === 'websocket' ? await rawSocket(port) : await RawHttpPeer.open(url, transport.name)
      await peer.handshake({ name: 'mallory' })
      for (const frame of attack) await peer.send(frame)
      const last = await peer.next((frame) => frame.t === 'ack' && frame.id === 12, 5000)
      expect(last.d.messages).toEqual(expect.any(Array))
      expect(peer.frames.some((frame) => frame.code === ErrorCode.BadFrame)).toBe(true)
      // The attack was answered, not fatal: the app still serves an honest client.
      const honest = await connectedClient(url, { transports: [transport.client()], auth: { name: 'ada' } })
      await expect(honest.emitWithAck('echo', 'still here')).resolves.toBe('still here')
      honest.disconnect()
      if (peer instanceof RawHttpPeer) peer.terminate()
      else peer.ws.terminate()
    }
    // The handlers' own TypeErrors are logged by the default logger; nothing may escape unhandled.
    expect(child.output()).not.toMatch(/unhandled|uncaught|RangeError|Node\.js v/i)
    child.process.kill('SIGTERM')
    await child.line(/^closed$/)
    // Nothing of the server's keeps the event loop alive after close: the process ends on its own.
    expect(await Promise.race([child.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 3000))])).toBe(0)
  })
})
