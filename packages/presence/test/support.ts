import type { RealtimeClient, RealtimeClientOptions } from '@org/realtime-client'
import { MemoryHistory, type Adapter, type AdapterNode, type BroadcastPacket, type Connection, type RealtimeServerOptions } from '@org/realtime-server'
import { webSocketTransport, type WebSocketClientTransportOptions } from '@org/realtime-transport-ws/client'
import WebSocket from 'ws'
import { connectedClient, startServer, until } from '../../../test/support.js'
import { presence as presencePlugin, type PresencePlugin, type PresenceServerOptions } from '../src/index.js'
import { presence, type Presence, type PresenceMember } from '../src/client.js'

/** The data of a test connection: the user its `auth` names. */
export interface User {
  userId: string
}

/** Who may do what in the tests: everyone sees and tracks, except what `refuse` names (`channel` or `presence:channel`). */
export function authorizeAll(refuse: readonly string[] = []): RealtimeServerOptions<User>['authorize'] {
  return (conn, channel, action) => !refuse.includes(`${action} ${channel}`) && !refuse.includes(`${action} ${channel} ${conn.data.userId}`)
}

/** A server with the presence plugin, whose connections are users named by their `auth`. */
export async function presenceServer(
  options: PresenceServerOptions<User> = {},
  server: RealtimeServerOptions<User> = {},
): Promise<{ rt: Awaited<ReturnType<typeof startServer<User>>>['rt']; url: string; port: number; tracker: PresencePlugin<User> }> {
  const tracker = presencePlugin<User>({ batchMs: 20, ...options })
  const started = await startServer<User>({
    authenticate: ({ auth }) => ({ userId: String(auth) }),
    authorize: authorizeAll(),
    plugins: [tracker],
    ...server,
    adapter: server.adapter === undefined ? undefined : tracker.cluster(server.adapter),
  })
  return { ...started, tracker }
}

/** A connected client of user `user`, and the presence of `channel` on it. */
export async function member<M = Record<string, unknown>>(
  url: string,
  user: string,
  channel = 'room:1',
  options: RealtimeClientOptions = {},
): Promise<{ client: RealtimeClient; presence: Presence<M> }> {
  const client = await connectedClient(url, { auth: user, ...options })
  return { client, presence: presence<M>(client.channel(channel)) }
}

/** Waits until the presence has its first state. */
export async function synced(p: Presence<any>, timeoutMs = 5000): Promise<void> {
  await until(() => p.synced, timeoutMs, 'the presence state')
}

/** The keys of a presence and how many metas each has, sorted: `{ ada: 2, bob: 1 }`. */
export function shape(p: Presence<any>): Record<string, number> {
  const entries = p.list().map((m: PresenceMember<any>) => [m.key, m.metas.length] as const)
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)))
}

/** Every event of a presence, in order, as `type key` strings (`sync` lists its keys). */
export function recordEvents(p: Presence<any>): string[] {
  const events: string[] = []
  p.on('sync', (members) => events.push(`sync ${members.map((m) => m.key).sort().join(',')}`))
  for (const type of ['join', 'update', 'leave'] as const) p.on(type, (m) => events.push(`${type} ${m.key}`))
  return events
}

/** The connection of `client` on the server. */
export function connectionOf(rt: { connections: ReadonlyMap<string, Connection<User>> }, client: RealtimeClient): Connection<User> {
  const conn = rt.connections.get(client.id as string)
  if (conn === undefined) throw new Error(`no connection ${client.id}`)
  return conn
}

/**
 * An adapter that can be cut off from its cluster at once, as a process killed with `kill -9`
 * is: after `cut()` nothing it broadcasts leaves it and nothing reaches it, not even its own
 * clients, and it says no goodbye.
 */
export function cuttable(adapter: Adapter): { adapter: Adapter; cut(): void } {
  let cut = false
  return {
    cut: () => {
      cut = true
    },
    adapter: {
      init: (node: AdapterNode) =>
        adapter.init(
          new Proxy(node, {
            get: (target, property) =>
              property === 'deliver' ? (packet: BroadcastPacket) => (cut ? undefined : target.deliver(packet)) : Reflect.get(target, property, target),
          }),
        ),
      broadcast: (packet, options) => (cut ? [] : adapter.broadcast(packet, options)),
      get history() {
        return adapter.history
      },
      members: async (room) => (cut ? [] : ((await adapter.members?.(room)) ?? [])),
      roomJoined: (room) => adapter.roomJoined?.(room),
      roomLeft: (room) => adapter.roomLeft?.(room),
      close: () => adapter.close(),
    },
  }
}

/** Another local address than the 127.0.0.1 attacks come from: the server counts it as another peer. */
export const BYSTANDER_ADDRESS = '127.0.0.2'

class BystanderWebSocket extends WebSocket {
  constructor(url: string) {
    super(url, { localAddress: BYSTANDER_ADDRESS })
  }
}

/** Options of a client that connects over WebSocket from {@link BYSTANDER_ADDRESS}. */
export function fromBystanderAddress(): RealtimeClientOptions {
  return { transports: [webSocketTransport({ WebSocket: BystanderWebSocket as unknown as WebSocketClientTransportOptions['WebSocket'] })] }
}

/**
 * Several servers of one process as one cluster whose adapter delivers a room's broadcasts only to
 * the nodes that follow the room (`roomJoined`, `roomLeft`), as the Redis adapter's sharded
 * subscriptions do; history is one, shared. Public exports only.
 */
export function followingCluster(): { adapter(): Adapter } {
  const nodes = new Map<AdapterNode, Set<string>>()
  let history: MemoryHistory | undefined
  const historyFor = (node: AdapterNode): MemoryHistory | undefined =>
    node.history === undefined ? undefined : (history ??= new MemoryHistory(node.history, (room) => [...nodes.keys()].some((each) => each.hasMembers(room))))
  return {
    adapter(): Adapter {
      let self: AdapterNode | undefined
      return {
        init(node) {
          self = node
          nodes.set(node, new Set())
        },
        get history() {
          return self === undefined ? undefined : historyFor(self)
        },
        roomJoined: (room) => self !== undefined && nodes.get(self)?.add(room),
        roomLeft: (room) => self !== undefined && nodes.get(self)?.delete(room),
        broadcast(packet, options) {
          const own = self === undefined ? undefined : historyFor(self)
          const offsets = own === undefined || packet.rooms.length === 0 ? [] : packet.rooms.map((room) => own.append(room, packet) as number)
          const delivered = offsets.length === 0 ? packet : { ...packet, offsets }
          for (const [node, rooms] of nodes) {
            if (node === self || (options?.local !== true && (packet.rooms.length === 0 || packet.rooms.some((room) => rooms.has(room))))) node.deliver(delivered)
          }
          return offsets
        },
        close() {
          if (self !== undefined) nodes.delete(self)
          self = undefined
        },
      }
    },
  }
}
