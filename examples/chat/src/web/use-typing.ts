import { useChannel } from '@org/realtime-react'
import { useEffect, useState } from 'react'

/** Milliseconds a name shows as typing after its last `user-typing`. */
export const TYPING_SHOWN_MS = 3000

/**
 * Who is typing in `room`: each name from its `user-typing` until `TYPING_SHOWN_MS` later or its
 * message, whichever comes first. Shares the room's subscription with the other hooks on it.
 */
export function useTyping(room: string): string[] {
  const [typing, setTyping] = useState<ReadonlyMap<string, number>>(new Map())
  useChannel<{ name: string }>(room, {
    events: ['user-typing', 'new-message', 'user-left', 'user-away'],
    maxMessages: 1,
    onMessage: ({ event, data: { name } }) => {
      setTyping((current) => {
        const next = new Map(current)
        if (event === 'user-typing') next.set(name, Date.now() + TYPING_SHOWN_MS)
        else next.delete(name)
        return next
      })
    },
  })
  // Drops the names whose time is up, at the earliest deadline.
  useEffect(() => {
    if (typing.size === 0) return
    const soonest = Math.min(...typing.values())
    const timer = setTimeout(() => setTyping((current) => new Map([...current].filter(([, until]) => until > Date.now()))), Math.max(0, soonest - Date.now()) + 10)
    return () => clearTimeout(timer)
  }, [typing])
  return [...typing.keys()]
}
