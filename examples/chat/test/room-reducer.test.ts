import { describe, expect, it } from 'vitest'
import { EMPTY_ROOM, MAX_ITEMS, mergeHistory, roomReducer, type RoomItem, type RoomView } from '../src/web/room-reducer.js'
import type { ChatMessage } from '../src/types.js'

const message = (id: string, at: number): ChatMessage => ({ id, name: 'alice', text: id, at })
const texts = (items: readonly RoomItem[]) => items.map((item) => (item.kind === 'message' ? item.message.text : `(${item.text})`))
const state = (history: ChatMessage[], members: string[] = ['alice'], away: string[] = []) => ({ room: 'general', history, members, away })

describe('the room list of the chat page', () => {
  it('shows each message once, whether it came live, in the history, or both', () => {
    let view: RoomView = EMPTY_ROOM
    view = roomReducer(view, { type: 'message', message: message('live before the answer', 3) })
    view = roomReducer(view, { type: 'loaded', state: state([message('old', 1), message('older answer', 2), message('live before the answer', 3)]) })
    view = roomReducer(view, { type: 'message', message: message('live before the answer', 3) })
    expect(texts(view.items)).toEqual(['old', 'older answer', 'live before the answer'])
  })

  it('fills in what a restart reloaded between the messages it had, keeps notices where they were, and says it reconnected', () => {
    let view: RoomView = roomReducer(EMPTY_ROOM, { type: 'loaded', state: state([message('a', 1)]) })
    view = roomReducer(view, { type: 'presence', event: 'user-joined', name: 'bob' })
    view = roomReducer(view, { type: 'message', message: message('c', 3) })
    view = roomReducer(view, { type: 'loaded', state: state([message('a', 1), message('b', 2), message('c', 3), message('d', 4)], ['alice', 'bob'], ['bob']) })
    expect(texts(view.items)).toEqual(['a', '(bob joined)', 'b', 'c', 'd', '(reconnected)'])
    expect([...view.members]).toEqual([['alice', false], ['bob', true]])
  })

  it('follows presence: joined, away, back and left', () => {
    let view: RoomView = roomReducer(EMPTY_ROOM, { type: 'loaded', state: state([]) })
    for (const event of ['user-joined', 'user-away', 'user-back', 'user-away'] as const) view = roomReducer(view, { type: 'presence', event, name: 'bob' })
    expect(view.members.get('bob')).toBe(true)
    view = roomReducer(view, { type: 'presence', event: 'user-left', name: 'bob' })
    expect(view.members.has('bob')).toBe(false)
    expect(texts(view.items)).toEqual(['(bob joined)', '(bob is away)', '(bob is back)', '(bob is away)', '(bob left)'])
  })

  it(`keeps the last ${MAX_ITEMS} items`, () => {
    let view: RoomView = EMPTY_ROOM
    for (let i = 0; i < MAX_ITEMS + 50; i++) view = roomReducer(view, { type: 'message', message: message(`m${i}`, i) })
    expect(view.items).toHaveLength(MAX_ITEMS)
    expect(texts(view.items)[0]).toBe('m50')
    expect(mergeHistory(view.items, [message('late', 10_000)])).toHaveLength(MAX_ITEMS)
  })
})
