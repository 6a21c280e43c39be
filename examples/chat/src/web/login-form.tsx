import { useState, type ReactNode } from 'react'

/** Asks for a name; `error` is the server's refusal of the last one. */
export function LoginForm({ error, onEnter }: { error: string; onEnter: (name: string) => void }): ReactNode {
  const [name, setName] = useState('')
  return (
    <>
      <header>
        <h1>Chat</h1>
      </header>
      <form
        id="login"
        onSubmit={(event) => {
          event.preventDefault()
          if (name.trim() !== '') onEnter(name.trim())
        }}
      >
        <label htmlFor="name">Your name</label>
        <input id="name" maxLength={32} required autoComplete="nickname" autoFocus value={name} onChange={(event) => setName(event.target.value)} />
        <button>Enter the chat</button>
        <p id="login-error" className="error" role="alert">
          {error}
        </p>
      </form>
    </>
  )
}
