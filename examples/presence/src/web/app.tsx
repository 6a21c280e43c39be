import { LoginForm } from '@org/example-kit/login-form'
import { useLogin } from '@org/example-kit/use-login'
import { RealtimeProvider } from '@org/realtime-react'
import type { ReactNode } from 'react'
import { LobbyScreen } from './lobby-screen.js'

const REALTIME_URL = new URL('/realtime', location.href).href

/**
 * The name form until a name is entered, then the lobby under a provider that makes (and owns)
 * the client for that name. Leaving, or a name the server refuses, brings the form back.
 */
export function App(): ReactNode {
  const { name, refusal, enter, leave } = useLogin()
  if (name === undefined) return <LoginForm title="Who's online" statusBadge maxLength={40} error={refusal} onEnter={enter} />
  return (
    <RealtimeProvider key={name} url={REALTIME_URL} options={{ auth: { name } }}>
      <LobbyScreen name={name} onLeave={leave} />
    </RealtimeProvider>
  )
}
