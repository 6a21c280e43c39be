import { useState, type ReactNode } from 'react'

/** The name the others see next to this page's caret (1 to 40 characters; the server checks too). */
export function NameForm({ onName }: { onName: (name: string) => void }): ReactNode {
  const [name, setName] = useState('')
  return (
    <form
      id="login"
      onSubmit={(event) => {
        event.preventDefault()
        if (name.trim() !== '') onName(name.trim())
      }}
    >
      <label htmlFor="name">Your name</label>
      <input id="name" autoComplete="off" maxLength={40} required value={name} onChange={(event) => setName(event.target.value)} />
      <button type="submit">Start editing</button>
    </form>
  )
}
