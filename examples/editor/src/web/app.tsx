import { LoginForm } from '@org/example-kit/login-form'
import { RealtimeProvider } from '@org/realtime-react'
import { useState, type ReactNode } from 'react'
import { DEFAULT_DOCUMENT, DOCUMENT_ID } from '../types.js'
import { Workspace } from './workspace.js'

const params = new URLSearchParams(location.search)
const docId = DOCUMENT_ID.test(params.get('doc') ?? '') ? params.get('doc')! : DEFAULT_DOCUMENT
const REALTIME_URL = new URL('/realtime', location.href).href
/** Back quickly after a restart of the server: the first retry after 200 ms, then at most every 2 s. */
const RECONNECTION = { initialDelayMs: 200, maxDelayMs: 2000 }

/** Asks for a name (unless the URL or this tab gave one), then opens the document as that name. */
export function App(): ReactNode {
  const [name, setName] = useState(() => (params.get('name') ?? sessionStorage.getItem('editor:name'))?.trim() || undefined)
  if (name === undefined) {
    return (
      <LoginForm
        submit="Start editing"
        maxLength={40}
        onEnter={(chosen) => {
          sessionStorage.setItem('editor:name', chosen)
          setName(chosen)
        }}
      />
    )
  }
  return (
    // The provider makes the client, connects it once mounted, and disconnects it when unmounted.
    <RealtimeProvider url={REALTIME_URL} options={{ auth: { name }, reconnection: RECONNECTION }}>
      <Workspace name={name} docId={docId} />
    </RealtimeProvider>
  )
}
