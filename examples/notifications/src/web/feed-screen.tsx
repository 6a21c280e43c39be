import { ConnectionBadge } from '@org/example-kit/connection-badge'
import { RefusalBanner } from '@org/example-kit/refusal-banner'
import { ErrorCode } from '@org/realtime-client'
import { useRealtime } from '@org/realtime-react'
import { useEffect, type ReactNode } from 'react'
import { Feed } from './feed.js'
import { SendForm } from './send-form.js'

/** The page once a user name is entered: the header with the connection, the feed, the send form. */
export function FeedScreen({ user, onRefused }: { user: string; onRefused: (message: string) => void }): ReactNode {
  const { state, error } = useRealtime()
  // The server refused the name: the client does not retry, so back to the form with the reason.
  useEffect(() => {
    if (state === 'disconnected' && error?.code === ErrorCode.Unauthorized) onRefused(`${error.code}: ${error.message}`)
  }, [state, error, onRefused])
  return (
    <>
      <header>
        <h1>Notifications</h1>
        <span id="me">{user}</span>
        <ConnectionBadge id="status" className="badge" />
      </header>
      <RefusalBanner className="refusal" />
      <main id="app">
        <Feed user={user} />
        <SendForm />
      </main>
    </>
  )
}
