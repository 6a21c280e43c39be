import { describe, expect, it } from 'vitest'
import { RoomFeed, type FeedEntry, type FeedHost, type FeedRead } from '../src/room-feed.js'
import type { WireMessage } from '../src/wire.js'
import { until } from '../../../test/support.js'

/** A room's history as Redis would hold it, in memory: the feed's host, whose reads can be made to fail. */
class History {
  entries: FeedEntry[] = []
  epoch = 'e1'
  readonly applied: number[] = []
  /** What was delivered, as `<epoch>:<offset> <data>`. */
  readonly delivered: string[] = []
  #seq = 0
  failingReads = 0
  reads = 0
  up = true

  host(): FeedHost {
    const history = this
    return {
      open: async () => ({ epoch: this.epoch, offset: this.entries.length, entries: [] }),
      read: async (_room, offset, count) => {
        this.reads++
        if (this.failingReads > 0) {
          this.failingReads--
          throw new Error('read failed')
        }
        return this.#read(offset, count)
      },
      apply: (_room, entry) => {
        this.applied.push(entry.offset)
        this.delivered.push(`${entry.json}`)
      },
      lost: () => {},
      failed: () => {},
      get up() {
        return history.up
      },
      retryMs: 20,
      tailSize: 10,
      pendingLimit: 100,
      fillBatch: 100,
      ageMs: 0,
    }
  }

  /** Appends a message (a node's retry when given the `seq` of an earlier one) and answers it as pub/sub would carry it. */
  append(seq = ++this.#seq): WireMessage {
    const offset = this.entries.length + 1
    const packet = { event: 'n', json: `${this.epoch}:${offset} #${seq}`, rooms: ['room'], except: [], origin: 'node', flags: 0, seq }
    this.entries.push({ ...packet, offset, at: Date.now(), packet })
    return { ...packet, epoch: this.epoch, offset, at: Date.now() }
  }

  /** Loses every message, as Redis restarted without persistence does. */
  restart(): void {
    this.entries = []
    this.epoch = 'e2'
  }

  #read(offset: number, count: number): FeedRead {
    return { epoch: this.epoch, offset: this.entries.length, entries: this.entries.filter((entry) => entry.offset >= offset).slice(0, count) }
  }
}

/** A feed of a fresh history, synced and live. */
async function liveFeed(): Promise<{ history: History; feed: RoomFeed }> {
  const history = new History()
  const feed = new RoomFeed('room', history.host())
  feed.sync()
  await feed.ready
  return { history, feed }
}

describe('a room feed', () => {
  it('tries a failed catch-up again while Redis is reachable, and delivers what it kept meanwhile, once and in order', async () => {
    const { history, feed } = await liveFeed()
    feed.receive(history.append())
    expect(history.applied).toEqual([1])
    // A message lost on its way: the next one shows the gap, and the read that would fill it fails.
    history.append()
    history.failingReads = 2
    feed.receive(history.append())
    feed.receive(history.append())
    await until(() => history.applied.length === 4, 5000, 'the catch-up to be tried again')
    expect(history.applied).toEqual([1, 2, 3, 4])
    expect(history.reads).toBe(3)
    expect(feed.state).toBe('live')
    feed.close()
  })

  it('waits for the adapter to sync it when Redis is unreachable, and tries nothing after it closed', async () => {
    const { history, feed } = await liveFeed()
    history.append()
    history.up = false
    history.failingReads = 1
    feed.receive(history.append())
    await until(() => history.reads === 1, 5000, 'the failed read')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(history.reads).toBe(1)
    expect(history.applied).toEqual([])
    // Redis is back: the adapter syncs every feed.
    history.up = true
    feed.sync()
    await until(() => history.applied.length === 2, 5000, 'the catch-up')
    history.failingReads = 10
    history.append()
    feed.receive(history.append())
    feed.close()
    const reads = history.reads
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(history.reads).toBeLessThanOrEqual(reads + 1)
    expect(history.applied).toEqual([1, 2])
  })

  it('delivers what it heard of a history Redis lost before starting over, and a message sent again into the new one once', async () => {
    const { history, feed } = await liveFeed()
    feed.receive(history.append())
    // A gap, a catch-up that fails while Redis goes away, and the missing message heard meanwhile.
    const second = history.append()
    const third = history.append()
    history.up = false
    history.failingReads = 1
    feed.receive(third)
    await until(() => history.reads === 1, 5000, 'the failed read')
    feed.receive(second)
    // Redis comes back empty; the node whose append of the third message lost its answer sends it again.
    history.restart()
    history.append(third.seq)
    const fresh = history.append()
    history.up = true
    feed.sync()
    await until(() => history.delivered.length === 4, 5000, 'every message')
    feed.receive(fresh)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(history.delivered).toEqual(['e1:1 #1', 'e1:2 #2', 'e1:3 #3', 'e2:2 #4'])
    expect(feed.epoch).toBe('e2')
    expect(feed.cursor).toBe(2)
    feed.close()
  })
})
