import { ConnectionBadge } from '@org/example-kit/connection-badge'
import { PageHeader } from '@org/example-kit/page-header'
import { RefusalBanner } from '@org/example-kit/refusal-banner'
import { useLeaveOnPageHide } from '@org/example-kit/use-leave-on-page-hide'
import { localStoragePending } from '@org/realtime-ot/client'
import { useDocument } from '@org/realtime-react/document'
import { useState, type ReactNode } from 'react'
import { People } from './people.js'
import { SharedTextarea } from './shared-textarea.js'
import { SyncStatus } from './sync-status.js'

// Unconfirmed edits are kept in this tab's sessionStorage: they survive a reload (and being
// offline meanwhile) and are sent once. Not localStorage: two tabs would share one client id.
const DOCUMENT_OPTIONS = { pending: localStoragePending(sessionStorage, 'editor:pending:') }

/** The open document: who else is here, Undo/Redo, the text, the status line and what was refused. */
export function Workspace({ name, docId }: { name: string; docId: string }): ReactNode {
  const doc = useDocument(docId, DOCUMENT_OPTIONS)
  // An edit refused on this page before it was sent (see SharedTextarea).
  const [refusal, setRefusal] = useState<unknown>()
  useLeaveOnPageHide()
  return (
    <>
      <PageHeader title="Shared notes" me={name} badge={false} />
      <main id="workspace">
        <div className="toolbar">
          <People cursors={doc.cursors} />
          <button id="undo" type="button" title="Undo your last edit (Ctrl+Z)" disabled={!doc.canUndo} onClick={() => doc.undo()}>
            Undo
          </button>
          <button id="redo" type="button" title="Redo (Ctrl+Shift+Z)" disabled={!doc.canRedo} onClick={() => doc.redo()}>
            Redo
          </button>
        </div>
        <SharedTextarea doc={doc} onRefused={setRefusal} />
        <div className="status-line">
          <SyncStatus status={doc.status} online={doc.online} />
          <ConnectionBadge />
        </div>
        <RefusalBanner id="error" error={refusal ?? doc.error} />
      </main>
    </>
  )
}
