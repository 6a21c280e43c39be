import type { Channel } from '@org/realtime-client'
import type { Connection } from '@org/realtime-server'
import { expect, it } from 'vitest'
import { collect, connectedClient, describeTransports, once, startServer, until } from '../../../test/support.js'

const kRoster = Symbol('roster')
let created = 0

/**
 * A test feature built on the public extension point only: who announced themselves on a
 * channel (`roster:hello` messages, kept from the app's listeners), what the channel's lifecycle
 * did, and a count of the room's members asked of the server.
 */
function roster(channel: Channel) {
  return channel.feature(kRoster, ({ channel, client, claim }) => {
    created++
    const names = new Set<string>()
    const states: string[] = []
    claim('roster:hello', (name: string) => names.add(name))
    channel.lifecycle.on('subscribed', ({ recovered }) => states.push(recovered ? 'recovered' : 'subscribed'))
    channel.lifecycle.on('unsubscribed', () => {
      states.push('unsubscribed')
      names.clear()
    })
    return {
      names,
      states,
      announce: (name: string) => channel.publishWithAck('roster:hello', name),
      count: async () => (await client.emitWithAck('roster:count', channel.name)) as number,
    }
  })
}

/** A server that lets anyone in any channel and counts a room's members on `roster:count`. */
async function rosterServer() {
  const server = await startServer({ authorize: () => true })
  server.rt.on('connection', (conn) => conn.on('roster:count', (room) => [...server.rt.connections.values()].filter((member) => member.rooms.has(String(room))).length))
  return server
}

describeTransports('channel features', () => {
  it('gives each channel one instance of a feature, which hears its claimed messages apart from the app, follows the lifecycle and sends', async () => {
    const { url } = await rosterServer()
    const [ann, bob] = await Promise.all([connectedClient(url), connectedClient(url)])
    const annRoom = ann.channel('room')
    const bobRoom = bob.channel('room')
    const before = created
    const annRoster = roster(annRoom)
    expect(roster(annRoom)).toBe(annRoster)
    expect(created - before).toBe(1)
    const bobRoster = roster(bobRoom)
    const appClaimed = collect(bobRoom, 'roster:hello')
    const appMessages = collect(bobRoom, 'message')
    await Promise.all([annRoom.subscribe(), bobRoom.subscribe()])
    await annRoster.announce('ann')
    annRoom.publish('message', 'hi')
    await until(() => appMessages.length === 1, 2000, 'the app message')
    expect([...bobRoster.names]).toEqual(['ann'])
    expect(appClaimed).toEqual([])
    expect(appMessages).toEqual(['hi'])
    expect(await bobRoster.count()).toBe(2)
    bobRoom.unsubscribe()
    expect(bobRoster.states).toEqual(['subscribed', 'unsubscribed'])
    expect(bobRoster.names.size).toBe(0)
  })

  it('gives a claimed name back to the app once the feature removes its listener', async () => {
    const { url } = await rosterServer()
    const [ann, bob] = await Promise.all([connectedClient(url), connectedClient(url)])
    const heard: string[] = []
    const unclaim = bob.channel('room').feature(Symbol('once'), ({ claim }) => claim('note', (text: string) => heard.push(`feature:${text}`)))
    bob.channel('room').on('note', (text: string) => heard.push(`app:${text}`))
    await Promise.all([ann.channel('room').subscribe(), bob.channel('room').subscribe()])
    await ann.channel('room').publishWithAck('note', 'first')
    await until(() => heard.length === 1, 2000, 'the claimed message')
    unclaim()
    await ann.channel('room').publishWithAck('note', 'second')
    await until(() => heard.length === 2, 2000, 'the message after the claim ended')
    expect(heard).toEqual(['feature:first', 'app:second'])
  })

  it('tells a feature its channel recovered after a drop, with the claimed messages it missed replayed to it', async () => {
    const { rt, url } = await rosterServer()
    // Bob comes back after 300 ms: the announcement is made while he is away.
    const [ann, bob] = await Promise.all([connectedClient(url), connectedClient(url, { reconnection: { initialDelayMs: 300, maxDelayMs: 300, jitter: 0 } })])
    const bobRoster = roster(bob.channel('room'))
    await Promise.all([ann.channel('room').subscribe(), bob.channel('room').subscribe()])
    const disconnected = once(bob.lifecycle, 'disconnect')
    const reconnected = once(bob.lifecycle, 'reconnect')
    ;(rt.connections.get(bob.id as string) as Connection).terminate()
    await disconnected
    await roster(ann.channel('room')).announce('ann, while bob was away')
    expect(bobRoster.names.size).toBe(0)
    expect(await reconnected).toEqual({ attempts: 1, recovered: true })
    await until(() => bobRoster.names.size === 1, 2000, 'the replayed announcement')
    expect([...bobRoster.names]).toEqual(['ann, while bob was away'])
    expect(bobRoster.states).toEqual(['subscribed', 'recovered'])
  })
})
