import { usePresence, type PresenceMember } from '@org/realtime-react/presence'
import { useEffect, useRef, useState, type ReactNode } from 'react'
import { LOBBY, type PersonMeta } from '../types.js'
import { nameOf } from './person.js'

/** Lines the log keeps; older ones are dropped. */
const MAX_LINES = 20

/**
 * Arrivals and departures, newest first: the members' keys compared from one presence state to
 * the next, once the first state arrived (the people already there did not arrive). A tab that
 * drops stays a member (away), so a blip is neither.
 */
export function ActivityLog(): ReactNode {
  const members = usePresence<PersonMeta, ReadonlyMap<string, PresenceMember<PersonMeta>> | undefined>(LOBBY, undefined, (presence) =>
    presence.synced ? presence.members : undefined,
  )
  const previous = useRef<ReadonlyMap<string, PresenceMember<PersonMeta>>>(undefined)
  const [lines, setLines] = useState<Array<{ id: number; text: string }>>([])
  const nextId = useRef(0)
  useEffect(() => {
    if (members === undefined) return
    const before = previous.current
    previous.current = members
    if (before === undefined) return
    const time = new Date().toLocaleTimeString()
    const added = [
      ...[...members.values()].filter((member) => !before.has(member.key)).map((member) => `${time} ${nameOf(member)} arrived`),
      ...[...before.values()].filter((member) => !members.has(member.key)).map((member) => `${time} ${nameOf(member)} left`),
    ]
    if (added.length > 0) setLines((current) => [...added.reverse().map((text) => ({ id: nextId.current++, text })), ...current].slice(0, MAX_LINES))
  }, [members])
  return (
    <ul id="activity">
      {lines.map((line) => (
        <li key={line.id}>{line.text}</li>
      ))}
    </ul>
  )
}
