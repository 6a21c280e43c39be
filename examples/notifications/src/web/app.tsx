import { RealtimeProvider } from '@org/realtime-react'
import { sseTransport } from '@org/realtime-transport-sse/client'
import { useState, type ReactNode } from 'react'
import { FeedScreen } from './feed-screen.js'
import { LoginForm } from './login-form.js'

const REALTIME_URL = new URL('/realtime', location.href).href

/**
 * The user-name form until a name is entered, then the feed under a provider that makes (and
 * owns) an SSE client for that user. A name the server refuses brings the form back with its reason.
 */
export function App(): ReactNode {
  const [user, setUser] = useState<string>()
  const [refusal, setRefusal] = useState('')
  if (user === undefined) return <LoginForm error={refusal} onEnter={setUser} />
  return (
    <RealtimeProvider key={user} url={REALTIME_URL} options={{ transports: [sseTransport()], auth: { user } }}>
      <FeedScreen
        user={user}
        onRefused={(message) => {
          setRefusal(message)
          setUser(undefined)
        }}
      />
    </RealtimeProvider>
  )
}
