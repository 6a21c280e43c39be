import { ConnectionBadge } from '@org/example-kit/connection-badge'
import { RefusalBanner } from '@org/example-kit/refusal-banner'
import { ErrorCode } from '@org/realtime-client'
import { useRealtime } from '@org/realtime-react'
import { useEffect, type ReactNode } from 'react'
import { ActivityLog } from './activity-log.js'
import { PeopleList } from './people-list.js'
import { PresenceError } from './presence-error.js'

/**
 * The lobby once a name is entered: the header (connection, Leave), who is online, and the
 * activity. Leaving, or closing the tab, disconnects at once, rather than leaving the others to
 * see this page "away" until the server gives up on it.
 */
export function LobbyScreen({ name, onLeave }: { name: string; onLeave: (reason?: string) => void }): ReactNode {
  const { client, state, error } = useRealtime()
  useEffect(() => {
    const leave = (): void => {
      client.disconnect()
    }
    addEventListener('pagehide', leave)
    return () => removeEventListener('pagehide', leave)
  }, [client])
  // The server refused the name: the client does not retry, so back to the form with the reason.
  useEffect(() => {
    if (state === 'disconnected' && error?.code === ErrorCode.Unauthorized) onLeave(`${error.code}: ${error.message}`)
  }, [state, error, onLeave])
  return (
    <>
      <header>
        <h1>Who&apos;s online</h1>
        <span id="me">{name}</span>
        <ConnectionBadge id="status" className="badge" />
        <button
          id="leave"
          type="button"
          onClick={() => {
            client.disconnect()
            onLeave()
          }}
        >
          Leave
        </button>
      </header>
      <RefusalBanner className="refusal" />
      <main id="lobby">
        <PresenceError />
        <PeopleList name={name} />
        <h2>Activity</h2>
        <ActivityLog />
      </main>
    </>
  )
}
