import type { RealtimeError } from '@org/realtime-client'
import { useChannel, type ChannelStatus } from '@org/realtime-react'
import { useEffect, useReducer, useState } from 'react'
import type { ChatMessage, RoomState } from '../types.js'
import { useChatClient } from './chat-client.js'
import { EMPTY_ROOM, roomReducer, type PresenceEvent, type RoomView } from './room-reducer.js'

const ROOM_EVENTS = ['new-message', 'user-joined', 'user-left', 'user-away', 'user-back']

/** A room as the page shows it, and where its subscription stands. */
export interface UseRoomResult extends RoomView {
  channel: ChannelStatus
  /** Why the room's state could not be loaded (`FORBIDDEN`, `TIMEOUT`…), if it could not. */
  loadError: RealtimeError | undefined
}

/**
 * Subscribes to `room` (its channel: the server's membership) while mounted, and keeps its list
 * and members. After each confirmation that did not replay what was missed — the first, and after
 * the server restarted — it loads the room's state (`room-state`: history and members); after one
 * that did (a resumed session), the missed broadcasts arrive by themselves.
 */
export function useRoom(room: string): UseRoomResult {
  const client = useChatClient()
  const [view, dispatch] = useReducer(roomReducer, EMPTY_ROOM)
  const [loadError, setLoadError] = useState<RealtimeError>()
  const channel = useChannel<ChatMessage | { name: string }>(room, {
    events: ROOM_EVENTS,
    maxMessages: 1, // the reducer keeps the list
    onMessage: ({ event, data }) => {
      if (event === 'new-message') dispatch({ type: 'message', message: data as ChatMessage })
      else dispatch({ type: 'presence', event: event as PresenceEvent, name: (data as { name: string }).name })
    },
  })
  const { state, recovered } = channel

  useEffect(() => {
    if (state !== 'subscribed') return
    if (recovered) {
      dispatch({ type: 'notice', text: 'reconnected' })
      return
    }
    let current = true
    client.emitWithAck('room-state', { roomId: room }).then(
      (answer: RoomState) => {
        if (!current) return
        setLoadError(undefined)
        dispatch({ type: 'loaded', state: answer })
      },
      (error: RealtimeError) => current && setLoadError(error),
    )
    return () => {
      current = false
    }
  }, [client, room, state, recovered])

  return { ...view, channel: { state, recovered, error: channel.error }, loadError }
}
