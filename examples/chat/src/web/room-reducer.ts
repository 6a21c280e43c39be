import type { ChatMessage, RoomState } from '../types.js'

/** Items the room's list keeps; older ones are dropped. */
export const MAX_ITEMS = 200

/** A line of the room's list: a message, or a notice (someone joined, the page reconnected…). */
export type RoomItem = { kind: 'message'; message: ChatMessage } | { kind: 'notice'; key: number; text: string }

/** What a page shows of a room. */
export interface RoomView {
  items: readonly RoomItem[]
  /** Members by name: `true` when away (every connection of theirs dropped, waiting to be resumed). */
  members: ReadonlyMap<string, boolean>
  /** How many times `room-state` answered: from the second on, the page came back after losing messages. */
  loads: number
  /** The next notice's key. */
  nextKey: number
}

/** What changes a {@link RoomView}. */
export type RoomAction =
  | { type: 'loaded'; state: RoomState }
  | { type: 'message'; message: ChatMessage }
  | { type: 'presence'; event: PresenceEvent; name: string }
  | { type: 'notice'; text: string }

export type PresenceEvent = 'user-joined' | 'user-left' | 'user-away' | 'user-back'

export const EMPTY_ROOM: RoomView = { items: [], members: new Map(), loads: 0, nextKey: 0 }

const PRESENCE_NOTICE: Record<PresenceEvent, string> = {
  'user-joined': 'joined',
  'user-left': 'left',
  'user-away': 'is away',
  'user-back': 'is back',
}

/**
 * The room's list and members, from the `room-state` answers and the room's broadcasts in the
 * order they arrived. Each message shows once: by id, whether it came live, in the history, or both.
 */
export function roomReducer(view: RoomView, action: RoomAction): RoomView {
  switch (action.type) {
    case 'loaded': {
      const { history, members, away } = action.state
      // The answer reflects every broadcast before it: it replaces the members outright.
      const items = mergeHistory(view.items, history)
      const loaded = { ...view, members: new Map(members.map((name) => [name, away.includes(name)])), loads: view.loads + 1 }
      return view.loads === 0 ? { ...loaded, items } : withNotice({ ...loaded, items }, 'reconnected')
    }
    case 'message':
      if (view.items.some((item) => item.kind === 'message' && item.message.id === action.message.id)) return view
      return { ...view, items: bounded([...view.items, { kind: 'message', message: action.message }]) }
    case 'presence': {
      const members = new Map(view.members)
      if (action.event === 'user-left') members.delete(action.name)
      else members.set(action.name, action.event === 'user-away')
      return withNotice({ ...view, members }, `${action.name} ${PRESENCE_NOTICE[action.event]}`)
    }
    case 'notice':
      return withNotice(view, action.text)
  }
}

function withNotice(view: RoomView, text: string): RoomView {
  return { ...view, items: bounded([...view.items, { kind: 'notice', key: view.nextKey, text }]), nextKey: view.nextKey + 1 }
}

/**
 * `items` with the messages of `history` it lacks, each placed before the first message it has
 * that was sent later (or after its last message): notices stay where they were.
 */
export function mergeHistory(items: readonly RoomItem[], history: readonly ChatMessage[]): RoomItem[] {
  const known = new Set(items.flatMap((item) => (item.kind === 'message' ? [item.message.id] : [])))
  const merged = [...items]
  for (const message of history) {
    if (known.has(message.id)) continue
    known.add(message.id)
    const later = merged.findIndex((item) => item.kind === 'message' && item.message.at > message.at)
    merged.splice(later !== -1 ? later : lastMessageIndex(merged) + 1, 0, { kind: 'message', message })
  }
  return bounded(merged)
}

function lastMessageIndex(items: readonly RoomItem[]): number {
  for (let i = items.length - 1; i >= 0; i--) if (items[i]?.kind === 'message') return i
  return -1
}

function bounded(items: RoomItem[]): RoomItem[] {
  return items.length > MAX_ITEMS ? items.slice(items.length - MAX_ITEMS) : items
}
