import { MemoryHistory, type Adapter, type AdapterNode, type HistoryStore } from '@org/realtime-server'

/** `value`, 0 to 3 milliseconds from now, at random: the time a networked store takes to answer. */
function later<T>(value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), Math.floor(Math.random() * 4)))
}

/**
 * An adapter whose channel history answers every call later, with a promise, as a networked store
 * (Redis) does: the memory adapter's history behind a random delay of a few milliseconds. Appends
 * complete in the order broadcasts were made, and each broadcast is delivered once its offsets
 * are known, as a cluster adapter would deliver it from the store's stream.
 */
export function slowHistoryAdapter(): Adapter {
  let node: AdapterNode | undefined
  let history: HistoryStore | undefined
  /** The broadcasts' appends, one after the other. */
  let appending: Promise<unknown> = Promise.resolve()
  return {
    init(target) {
      node = target
      if (target.history === undefined) return
      const memory = new MemoryHistory(target.history, (room) => target.hasMembers(room))
      history = {
        // Each answer is read from the store at once and reaches the server later, as over a network:
        // what was broadcast meanwhile is not in it.
        append: (room, message) => later(memory.append(room, message)),
        position: (room) => later(memory.position(room)),
        peek: (room) => later(memory.peek(room)),
        after: (room, offset, limits) => later(memory.after(room, offset, limits)),
        close: () => memory.close(),
      }
    },
    get history() {
      return history
    },
    broadcast(packet) {
      const target = node as AdapterNode
      const store = history
      if (store === undefined || packet.rooms.length === 0) {
        target.deliver(packet)
        return []
      }
      const sent = appending.then(async () => {
        const offsets: number[] = []
        for (const room of packet.rooms) offsets.push(await (target.historySource(room) ?? store).append(room, packet))
        target.deliver({ ...packet, offsets })
        return offsets
      })
      appending = sent.catch(() => undefined)
      return sent
    },
    close() {
      return history?.close()
    },
  }
}
