import type { Connection } from '@org/realtime-server'
import { describe, expect, it } from 'vitest'
import { once, rawSocket, startServer } from '../../../test/support.js'
import { bystanderClient, expectServed } from './second-address.js'

/** `toString`, `constructor`, `valueOf`, `__proto__`, `hasOwnProperty`…: every name of `Object.prototype`. */
const prototypeNames = Object.getOwnPropertyNames(Object.prototype)

describe('events named like Object.prototype members', () => {
  for (const eventCost of [undefined, { typing: 0.2 }]) {
    it(`handles each of them like any event, three times in a row, with eventCost ${JSON.stringify(eventCost)}`, async () => {
      const { rt, port, url } = await startServer({ rateLimit: { eventCost } })
      rt.on('connection', (conn) => {
        conn.on('echo', (data) => data)
        for (const name of prototypeNames) conn.on(name, (data) => `${name} ${data}`)
      })
      const connected = once<Connection>(rt, 'connection')
      const peer = await rawSocket(port)
      await peer.handshake()
      const conn = await connected
      // Before, each cost what `eventCost[name]` gave (a function): refused, and the 21st refusal closed the connection.
      let id = 0
      for (let round = 1; round <= 3; round++) for (const name of prototypeNames) peer.send({ t: 'event', e: name, d: round, id: ++id })
      const answers = await Promise.all(Array.from({ length: id }, (_, index) => peer.next((frame) => frame.t === 'ack' && frame.id === index + 1)))
      expect(answers.filter((answer) => answer.err !== undefined)).toEqual([])
      expect(answers.map((answer) => answer.d)).toEqual([1, 2, 3].flatMap((round) => prototypeNames.map((name) => `${name} ${round}`)))
      expect(conn.connected).toBe(true)
      await expectServed(await bystanderClient(url))
    })
  }
})
