import type { ReactNode } from 'react'
import { useTyping } from './use-typing.js'

/** "alice is typing…", "alice and bob are typing…", "several people are typing…". */
export function TypingLine({ room }: { room: string }): ReactNode {
  const names = useTyping(room)
  const text =
    names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : 'several people are typing…'
  return <p id="typing">{text}</p>
}
