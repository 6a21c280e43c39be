import { useChannel } from '@org/realtime-react'
import type { ReactNode } from 'react'
import { channelOf } from '../channels.js'
import type { Notification } from '../types.js'

/** Notifications the feed shows; older ones are dropped. */
const MAX_SHOWN = 50

/**
 * The user's feed: `useChannel` subscribes to `notifications:<user>` while mounted (and again
 * after the server restarted) and keeps what arrived, newest shown first. The server keeps no
 * notifications: after a restart the page still shows what it received, and new ones arrive.
 */
export function Feed({ user }: { user: string }): ReactNode {
  const { messages, state, error } = useChannel<Notification>(channelOf(user), { events: ['notification'], maxMessages: MAX_SHOWN })
  return (
    <section>
      <h2>Your feed</h2>
      {error !== undefined && (
        <p id="feed-error" className="hint error" role="alert">
          <code>{error.code}</code>
          Your feed is closed: {error.message}
        </p>
      )}
      <ol id="feed" aria-live="polite" data-state={state}>
        {[...messages].reverse().map(({ data: { id, text, at } }) => (
          <li key={id} data-id={id} className="new">
            <time dateTime={new Date(at).toISOString()}>{new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })}</time>
            <span className="text">{text}</span>
          </li>
        ))}
      </ol>
    </section>
  )
}
