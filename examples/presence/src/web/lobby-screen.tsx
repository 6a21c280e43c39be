import { PageHeader } from '@org/example-kit/page-header'
import { RefusalBanner } from '@org/example-kit/refusal-banner'
import { useLeaveOnPageHide } from '@org/example-kit/use-leave-on-page-hide'
import { useLoginRefused } from '@org/example-kit/use-login'
import { useRealtime } from '@org/realtime-react'
import type { ReactNode } from 'react'
import { ActivityLog } from './activity-log.js'
import { PeopleList } from './people-list.js'
import { PresenceError } from './presence-error.js'

/**
 * The lobby once a name is entered: the header (connection, Leave), who is online, and the
 * activity. Leaving, or closing the tab, disconnects at once, rather than leaving the others to
 * see this page "away" until the server gives up on it.
 */
export function LobbyScreen({ name, onLeave }: { name: string; onLeave: (reason?: string) => void }): ReactNode {
  const { client } = useRealtime()
  useLeaveOnPageHide()
  // The server refused the name: the client does not retry, so back to the form with the reason.
  useLoginRefused(onLeave)
  return (
    <>
      <PageHeader title="Who's online" me={name}>
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
      </PageHeader>
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
