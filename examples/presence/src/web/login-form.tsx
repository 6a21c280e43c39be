import { useState, type ReactNode } from 'react'

/** Asks for a name; `error` is the server's refusal of the last one. */
export function LoginForm({ error, onEnter }: { error: string; onEnter: (name: string) => void }): ReactNode {
  const [name, setName] = useState('')
  return (
    <>
      <header>
        <h1>Who&apos;s online</h1>
        <span id="status" className="badge" data-state="idle">
          not connected
        </span>
      </header>
      <form
        id="login"
        onSubmit={(event) => {
          event.preventDefault()
          if (name.trim() !== '') onEnter(name.trim())
        }}
      >
        <label htmlFor="name">Your name</label>
        <input id="name" autoComplete="off" maxLength={40} required autoFocus value={name} onChange={(event) => setName(event.target.value)} />
        <button type="submit">Enter</button>
        <p id="login-error" className="error" role="alert">
          {error}
        </p>
      </form>
    </>
  )
}
