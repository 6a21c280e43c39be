import { useRealtime } from '@org/realtime-react'
import type { ReactNode } from 'react'
import { Composer } from './composer.js'
import { MembersLine } from './members-line.js'
import { Timeline } from './timeline.js'
import { TypingLine } from './typing-line.js'
import { useRoom } from './use-room.js'

/**
 * One room: its members, messages and who is typing, and the message box, enabled while the
 * room's subscription is confirmed. A refused subscription (`FORBIDDEN` for a bad room name,
 * `LIMIT_EXCEEDED` past the rooms a connection may be in) shows with its code.
 */
export function Room({ room, me }: { room: string; me: string }): ReactNode {
  const { connected } = useRealtime()
  const { items, members, channel, loadError } = useRoom(room)
  const refusal = channel.error ?? loadError
  return (
    <section>
      <h2 id="room-title">#{room}</h2>
      {refusal !== undefined && (
        <p id="room-error" className="error" role="alert">
          Cannot join #{room} ({refusal.code}): {refusal.message}
        </p>
      )}
      <MembersLine members={members} />
      <Timeline items={items} me={me} />
      <TypingLine room={room} />
      <Composer room={room} enabled={connected && channel.state === 'subscribed'} />
    </section>
  )
}
