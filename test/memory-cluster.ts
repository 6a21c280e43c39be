import { MemoryHistory, type Adapter, type AdapterNode, type RoomMember, type SessionSnapshot } from '@org/realtime-server'

/**
 * Several servers of one process as one cluster, for tests of what crosses nodes: broadcasts
 * reach every node, history is one, `members` asks every node, and a session moves to the node
 * its client resumes on. Made of public exports only, as a cluster adapter is.
 */
export function memoryCluster(): { adapter(): Adapter } {
  const nodes = new Set<AdapterNode>()
  let history: MemoryHistory | undefined
  const historyFor = (node: AdapterNode): MemoryHistory | undefined => {
    if (node.history === undefined) return undefined
    return (history ??= new MemoryHistory(node.history, (room) => [...nodes].some((each) => each.hasMembers(room))))
  }
  return {
    adapter(): Adapter {
      let self: AdapterNode | undefined
      return {
        init(node) {
          self = node
          nodes.add(node)
        },
        get history() {
          return self === undefined ? undefined : historyFor(self)
        },
        broadcast(packet, options) {
          const own = self === undefined ? undefined : historyFor(self)
          const offsets = own === undefined || packet.rooms.length === 0 ? [] : packet.rooms.map((room) => own.append(room, packet) as number)
          const delivered = offsets.length === 0 ? packet : { ...packet, offsets }
          for (const node of options?.local === true ? [self] : nodes) node?.deliver(delivered)
          return offsets
        },
        async members(room) {
          const all: RoomMember[] = []
          for (const node of nodes) all.push(...(await node.members(room)))
          return all
        },
        async takeSession(token) {
          for (const node of nodes) {
            if (node === self) continue
            const snapshot: SessionSnapshot | undefined = node.releaseSession(token)
            // Through JSON, as a networked adapter would carry it.
            if (snapshot !== undefined) return JSON.parse(JSON.stringify(snapshot)) as SessionSnapshot
          }
          return undefined
        },
        close() {
          if (self !== undefined) nodes.delete(self)
          self = undefined
        },
      }
    },
  }
}
