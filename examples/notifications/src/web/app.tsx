import { LoginForm } from '@org/example-kit/login-form'
import { useLogin } from '@org/example-kit/use-login'
import { RealtimeProvider } from '@org/realtime-react'
import { sseTransport } from '@org/realtime-transport-sse/client'
import type { ReactNode } from 'react'
import { FeedScreen } from './feed-screen.js'

const REALTIME_URL = new URL('/realtime', location.href).href

/**
 * The user-name form until a name is entered, then the feed under a provider that makes (and
 * owns) an SSE client for that user. A name the server refuses brings the form back with its reason.
 */
export function App(): ReactNode {
  const { name: user, refusal, enter, leave } = useLogin()
  if (user === undefined) {
    return <LoginForm title="Notifications" statusBadge label="Your user name" submit="Open my feed" autoComplete="username" lowerCase error={refusal} errorClassName="hint error" onEnter={enter} />
  }
  return (
    <RealtimeProvider key={user} url={REALTIME_URL} options={{ transports: [sseTransport()], auth: { user } }}>
      <FeedScreen user={user} onRefused={leave} />
    </RealtimeProvider>
  )
}
