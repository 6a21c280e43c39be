import { useState, type ReactNode } from 'react'

const ROOMS = ['general', 'random', 'help']

/** The rooms to pick from, and a form for any other (the server decides whether its name is valid). */
export function RoomNav({ current, onSelect }: { current: string; onSelect: (room: string) => void }): ReactNode {
  const [other, setOther] = useState('')
  return (
    <nav id="rooms" aria-label="Rooms">
      {ROOMS.map((room) => (
        <button key={room} type="button" data-room={room} aria-current={room === current} onClick={() => onSelect(room)}>
          #{room}
        </button>
      ))}
      <form
        id="room-form"
        onSubmit={(event) => {
          event.preventDefault()
          const room = other.trim().toLowerCase()
          if (room === '') return
          setOther('')
          onSelect(room)
        }}
      >
        <input id="room-input" placeholder="other-room" maxLength={32} aria-label="Room name" value={other} onChange={(event) => setOther(event.target.value)} />
        <button>Join</button>
      </form>
    </nav>
  )
}
