import { usePresence, type PresenceMember } from '@org/realtime-react/presence'
import { useState, type ReactNode } from 'react'
import { LOBBY, type PersonMeta } from '../types.js'
import { PersonItem } from './person-item.js'

/**
 * Who is online in the lobby. `usePresence` with a meta tracks this tab there while mounted (and
 * again after a reconnect or a server restart), and selects the members: the list re-renders
 * when one of them changes, not on every presence message.
 */
export function PeopleList({ name }: { name: string }): ReactNode {
  const [meta] = useState<PersonMeta>(() => ({ name, since: Math.floor(Date.now() / 1000) }))
  const members = usePresence<PersonMeta, Array<PresenceMember<PersonMeta>>>(LOBBY, meta, (presence) => [...presence.members.values()])
  // The server keys people by their name in lower case (`src/presence-server.ts`).
  const myKey = name.trim().toLowerCase()
  return (
    <>
      <p id="count">{members.length === 0 ? 'nobody here' : members.length === 1 ? '1 person online' : `${members.length} people online`}</p>
      <ul id="people">
        {members.map((member) => (
          <PersonItem key={member.key} member={member} isMe={member.key === myKey} />
        ))}
      </ul>
    </>
  )
}
