import type { DocumentStatus } from '@org/realtime-ot/client'
import type { ReactNode } from 'react'

/** Whether this page's edits reached the server: synchronized, sending, or kept while offline. */
export function SyncStatus({ status, online }: { status: DocumentStatus; online: boolean }): ReactNode {
  const [state, text] =
    status === 'opening'
      ? ['connecting', 'opening the document…']
      : !online
        ? ['offline', status === 'synchronized' ? 'offline — edits made now are sent when you are back' : 'offline — your edits are kept and sent when you are back']
        : status === 'synchronized'
          ? ['synchronized', 'synchronized']
          : ['sending', 'sending…']
  return (
    <p id="status" data-state={state} role="status">
      {text}
    </p>
  )
}
