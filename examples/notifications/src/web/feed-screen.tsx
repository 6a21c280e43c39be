import { PageHeader } from '@org/example-kit/page-header'
import { RefusalBanner } from '@org/example-kit/refusal-banner'
import { useLoginRefused } from '@org/example-kit/use-login'
import type { ReactNode } from 'react'
import { Feed } from './feed.js'
import { SendForm } from './send-form.js'

/** The page once a user name is entered: the header with the connection, the feed, the send form. */
export function FeedScreen({ user, onRefused }: { user: string; onRefused: (message: string) => void }): ReactNode {
  // The server refused the name: the client does not retry, so back to the form with the reason.
  useLoginRefused(onRefused)
  return (
    <>
      <PageHeader title="Notifications" me={user} />
      <RefusalBanner className="refusal" />
      <main id="app">
        <Feed user={user} />
        <SendForm />
      </main>
    </>
  )
}
