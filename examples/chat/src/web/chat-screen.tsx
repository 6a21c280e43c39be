import { PageHeader } from '@org/example-kit/page-header'
import { RefusalBanner } from '@org/example-kit/refusal-banner'
import { useLoginRefused } from '@org/example-kit/use-login'
import { useState, type ReactNode } from 'react'
import { Room } from './room.js'
import { RoomNav } from './room-nav.js'

/** The chat once a name is entered: the header with the connection, the rooms, the room shown. */
export function ChatScreen({ name, onRefused }: { name: string; onRefused: (message: string) => void }): ReactNode {
  const [room, setRoom] = useState('general')
  // The server refused the name: the client does not retry, so back to the form with the reason.
  useLoginRefused(onRefused)
  return (
    <>
      <PageHeader title="Chat" me={name} />
      <RefusalBanner className="refusal" />
      <main id="chat">
        <RoomNav current={room} onSelect={setRoom} />
        {/* A new room is a new component: its hooks subscribe to the new channel, and the old one is left. */}
        <Room key={room} room={room} me={name} />
      </main>
    </>
  )
}
