import { RealtimeProvider } from '@org/realtime-react'
import { useState, type ReactNode } from 'react'
import { LobbyScreen } from './lobby-screen.js'
import { LoginForm } from './login-form.js'

const REALTIME_URL = new URL('/realtime', location.href).href

/**
 * The name form until a name is entered, then the lobby under a provider that makes (and owns)
 * the client for that name. Leaving, or a name the server refuses, brings the form back.
 */
export function App(): ReactNode {
  const [name, setName] = useState<string>()
  const [refusal, setRefusal] = useState('')
  if (name === undefined) return <LoginForm error={refusal} onEnter={setName} />
  return (
    <RealtimeProvider key={name} url={REALTIME_URL} options={{ auth: { name } }}>
      <LobbyScreen
        name={name}
        onLeave={(reason = '') => {
          setRefusal(reason)
          setName(undefined)
        }}
      />
    </RealtimeProvider>
  )
}
