import { ConnectionBadge } from '@org/example-kit/connection-badge'
import { RefusalBanner } from '@org/example-kit/refusal-banner'
import { ErrorCode } from '@org/realtime-client'
import { useRealtime } from '@org/realtime-react'
import { useEffect, useState, type ReactNode } from 'react'
import { Room } from './room.js'
import { RoomNav } from './room-nav.js'

/** The chat once a name is entered: the header with the connection, the rooms, the room shown. */
export function ChatScreen({ name, onRefused }: { name: string; onRefused: (message: string) => void }): ReactNode {
  const [room, setRoom] = useState('general')
  const { state, error } = useRealtime()
  // The server refused the name: the client does not retry, so back to the form with the reason.
  useEffect(() => {
    if (state === 'disconnected' && error?.code === ErrorCode.Unauthorized) onRefused(`${error.code}: ${error.message}`)
  }, [state, error, onRefused])
  return (
    <>
      <header>
        <h1>Chat</h1>
        <span id="me">{name}</span>
        <ConnectionBadge id="status" className="badge" />
      </header>
      <RefusalBanner className="refusal" />
      <main id="chat">
        <RoomNav current={room} onSelect={setRoom} />
        {/* A new room is a new component: its hooks subscribe to the new channel, and the old one is left. */}
        <Room key={room} room={room} me={name} />
      </main>
    </>
  )
}
