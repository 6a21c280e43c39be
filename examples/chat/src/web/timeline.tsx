import { useLayoutEffect, useRef, type ReactNode } from 'react'
import type { RoomItem } from './room-reducer.js'

/** The room's messages and notices, oldest first; stays scrolled to the bottom when it was there. */
export function Timeline({ items, me }: { items: readonly RoomItem[]; me: string }): ReactNode {
  const list = useRef<HTMLOListElement>(null)
  const atBottom = useRef(true)
  useLayoutEffect(() => {
    const element = list.current
    if (element !== null && atBottom.current) element.scrollTop = element.scrollHeight
  }, [items])
  return (
    <ol
      id="messages"
      aria-live="polite"
      ref={list}
      onScroll={(event) => {
        const element = event.currentTarget
        atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40
      }}
    >
      {items.map((item) =>
        item.kind === 'notice' ? (
          <li key={`notice-${item.key}`} className="notice">
            {item.text}
          </li>
        ) : (
          <li key={item.message.id} data-id={item.message.id} className={item.message.name === me ? 'own' : undefined}>
            <time dateTime={new Date(item.message.at).toISOString()}>{new Date(item.message.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}</time>
            <span className="name">{item.message.name}</span>
            <span className="text">{item.message.text}</span>
          </li>
        ),
      )}
    </ol>
  )
}
