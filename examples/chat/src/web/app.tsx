import { LoginForm } from '@org/example-kit/login-form'
import { useLogin } from '@org/example-kit/use-login'
import { RealtimeProvider } from '@org/realtime-react'
import type { ReactNode } from 'react'
import { ChatScreen } from './chat-screen.js'

const REALTIME_URL = new URL('/realtime', location.href).href

/**
 * The name form until a name is entered, then the chat under a provider that makes (and owns)
 * the client for that name. A name the server refuses brings the form back with its reason.
 */
export function App(): ReactNode {
  const { name, refusal, enter, leave } = useLogin()
  if (name === undefined) return <LoginForm title="Chat" submit="Enter the chat" autoComplete="nickname" error={refusal} onEnter={enter} />
  return (
    <RealtimeProvider key={name} url={REALTIME_URL} options={{ auth: { name } }}>
      <ChatScreen name={name} onRefused={leave} />
    </RealtimeProvider>
  )
}
