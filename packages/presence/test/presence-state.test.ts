import { describe, expect, it } from 'vitest'
import { PresenceState } from '../src/presence-state.js'
import type { WireDiff, WireSync } from '../src/wire.js'

const types = (changes: Array<{ type: string; member: { key: string } }>) => changes.map(({ type, member }) => `${type} ${member.key}`)

/** A deterministic shuffle (a linear congruential generator), so that a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const result = [...items]
  let state = seed
  for (let i = result.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31
    const j = state % (i + 1)
    ;[result[i], result[j]] = [result[j] as T, result[i] as T]
  }
  return result
}

/** Node A's history of one channel: ada joins, bob joins, ada updates, bob leaves, cy joins, ada goes away. */
const history: WireDiff[] = [
  { n: 'A', s: 1, p: 0, j: [['A.1', 'ada', { v: 1 }, 0]] },
  { n: 'A', s: 3, p: 1, j: [['A.2', 'bob', { v: 1 }, 0]] },
  { n: 'A', s: 4, p: 3, j: [['A.1', 'ada', { v: 2 }, 0]] },
  { n: 'A', s: 7, p: 4, l: ['A.2'] },
  { n: 'A', s: 8, p: 7, j: [['A.3', 'cy', {}, 0]] },
  { n: 'A', s: 9, p: 8, j: [['A.1', 'ada', { v: 2 }, 1]] },
]

describe('the client presence state', () => {
  it('applies diffs in order whatever order they arrive in, each once, with no spurious event', () => {
    const inOrder = new PresenceState()
    inOrder.sync({ n: [] })
    const expected = history.flatMap((diff) => types(inOrder.diff(diff)))
    expect(expected).toEqual(['join ada', 'join bob', 'update ada', 'leave bob', 'join cy', 'update ada'])
    for (let seed = 1; seed <= 50; seed++) {
      const state = new PresenceState()
      state.sync({ n: [] })
      const order = shuffled(history, seed)
      // Every diff twice: a repeat changes nothing.
      const events = [...order, ...order].flatMap((diff) => types(state.diff(diff)))
      const count = (event: string) => events.filter((e) => e === event).length
      expect([count('join ada'), count('join cy'), count('leave ada'), count('leave cy')]).toEqual([1, 1, 0, 0])
      // bob joins and leaves once, or not at all when both arrive in one step (never seen).
      expect(count('join bob')).toBeLessThanOrEqual(1)
      expect(count('leave bob')).toBe(count('join bob'))
      expect(events.indexOf('leave bob')).toBeGreaterThanOrEqual(events.indexOf('join bob'))
      expect(state.behind).toBe(false)
      expect(state.list()).toEqual(inOrder.list())
    }
  })

  it('applies no diff the sync already contains, and the later ones that arrived before it', () => {
    const state = new PresenceState()
    // Diffs 1 to 9 arrive around the sync, which was taken at diff 4.
    for (const diff of shuffled(history, 7)) state.diff(diff)
    const sync: WireSync = { n: [['A', 4, [['A.1', 'ada', { v: 2 }, 0], ['A.2', 'bob', { v: 1 }, 0]]]] }
    const { first, changes } = state.sync(sync)
    expect(first).toBe(true)
    // The diffs after 4 (bob leaves, cy joins, ada away) are applied; those up to 4 are not again.
    // Against the empty state before it: bob came and went, so is not reported.
    expect(types(changes)).toEqual(['join ada', 'join cy'])
    expect(state.list().map((m) => [m.key, m.metas.map((meta) => [meta.meta, meta.away])])).toEqual([
      ['ada', [[{ v: 2 }, true]]],
      ['cy', [[{}, false]]],
    ])
  })

  it('reports only what changed when the state is fetched again, and ignores diffs older than it', () => {
    const state = new PresenceState()
    state.sync({ n: [['A', 3, [['A.1', 'ada', { v: 1 }, 0], ['A.2', 'bob', { v: 1 }, 0]]]] })
    const again = state.sync({ n: [['A', 8, [['A.1', 'ada', { v: 2 }, 0], ['A.3', 'cy', {}, 0]]]] })
    expect(again.first).toBe(false)
    expect(types(again.changes).sort()).toEqual(['join cy', 'leave bob', 'update ada'])
    // Diffs up to 8 arrive late: nothing happens.
    for (const diff of history.slice(0, 5)) expect(state.diff(diff)).toEqual([])
    expect(types(state.diff(history[5] as WireDiff))).toEqual(['update ada'])
  })

  it('keeps a diff that skips one waiting, and says a sync is due while the gap stays', () => {
    const state = new PresenceState()
    state.sync({ n: [['A', 1, [['A.1', 'ada', { v: 1 }, 0]]]] })
    expect(state.diff(history[2] as WireDiff)).toEqual([])
    expect(state.behind).toBe(true)
    expect(types(state.diff(history[1] as WireDiff))).toEqual(['join bob', 'update ada'])
    expect(state.behind).toBe(false)
  })

  it('counts several metas of one key as one member, and reports leave only when the last goes', () => {
    const state = new PresenceState()
    state.sync({ n: [] })
    expect(types(state.diff({ n: 'A', s: 1, p: 0, j: [['A.1', 'ada', {}, 0], ['A.2', 'ada', {}, 0]] }))).toEqual(['join ada'])
    expect(types(state.diff({ n: 'B', s: 1, p: 0, j: [['B.1', 'ada', {}, 0]] }))).toEqual(['update ada'])
    expect(state.count).toBe(1)
    expect(state.get('ada')?.metas).toHaveLength(3)
    expect(types(state.diff({ n: 'A', s: 2, p: 1, l: ['A.1', 'A.2'] }))).toEqual(['update ada'])
    expect(types(state.diff({ n: 'B', s: 2, p: 1, l: ['B.1'] }))).toEqual(['leave ada'])
    expect(state.count).toBe(0)
  })

  it("drops a node's metas when it is down, and ignores its late diffs", () => {
    const state = new PresenceState()
    state.sync({ n: [['A', 1, [['A.1', 'ada', {}, 0]]], ['B', 5, [['B.1', 'bob', {}, 0], ['B.2', 'ada', {}, 0]]]] })
    expect(types(state.down('B'))).toEqual(['leave bob', 'update ada'])
    expect(state.diff({ n: 'B', s: 6, p: 5, j: [['B.3', 'eve', {}, 0]] })).toEqual([])
    expect(state.list().map((m) => m.key)).toEqual(['ada'])
  })

  it('pages the members in the order they arrived', () => {
    const state = new PresenceState()
    state.sync({ n: [['A', 1, Array.from({ length: 25 }, (_, i) => [`A.${i}`, `user${i}`, {}, 0] as [string, string, unknown, 0])]] })
    const first = state.list(undefined, 10)
    const second = state.list(first.at(-1)?.key, 10)
    const third = state.list(second.at(-1)?.key, 10)
    expect([first.length, second.length, third.length]).toEqual([10, 10, 5])
    expect([...first, ...second, ...third].map((m) => m.key)).toEqual(Array.from({ length: 25 }, (_, i) => `user${i}`))
  })
})
