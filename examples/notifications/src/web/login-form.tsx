import { useState, type ReactNode } from 'react'

/** Asks for a user name; `error` is the server's refusal of the last one. */
export function LoginForm({ error, onEnter }: { error: string; onEnter: (user: string) => void }): ReactNode {
  const [user, setUser] = useState('')
  return (
    <>
      <header>
        <h1>Notifications</h1>
        <span id="status" className="badge" data-state="idle">
          not connected
        </span>
      </header>
      <form
        id="login"
        onSubmit={(event) => {
          event.preventDefault()
          const name = user.trim().toLowerCase()
          if (name !== '') onEnter(name)
        }}
      >
        <label htmlFor="name">Your user name</label>
        <input id="name" maxLength={32} required autoComplete="username" autoCapitalize="none" autoFocus value={user} onChange={(event) => setUser(event.target.value)} />
        <button>Open my feed</button>
        <p id="login-error" className="hint error" role="alert">
          {error}
        </p>
      </form>
    </>
  )
}
