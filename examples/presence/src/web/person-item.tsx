import type { PresenceMember } from '@org/realtime-react/presence'
import { memo, type ReactNode } from 'react'
import type { PersonMeta } from '../types.js'
import { hue, initials, nameOf } from './person.js'

/**
 * One person: initials on a color of their key, their name, how many tabs, and away when every
 * tab dropped. Re-renders only when this member changes (its object is replaced only then).
 */
export const PersonItem = memo(function PersonItem({ member, isMe }: { member: PresenceMember<PersonMeta>; isMe: boolean }): ReactNode {
  const away = member.metas.every((meta) => meta.away)
  const name = nameOf(member)
  const tabs = member.metas.length
  return (
    <li className={away ? 'person away' : 'person'} data-key={member.key}>
      <span className="avatar" style={{ background: `hsl(${hue(member.key)} 55% 45%)` }}>
        {initials(name)}
      </span>
      <span className="name">{isMe ? `${name} (you)` : name}</span>
      <span className="detail">{[away ? 'away' : '', tabs > 1 ? `${tabs} tabs` : ''].filter(Boolean).join(' · ')}</span>
    </li>
  )
})
