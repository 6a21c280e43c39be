import { useState, type ReactNode } from 'react'
import { MAX_TITLE } from '../todo.js'

/** The new to-do's title; cleared once the server added it, kept when it refused. */
export function AddTodoForm({ onAdd }: { onAdd: (title: string) => Promise<boolean> }): ReactNode {
  const [title, setTitle] = useState('')
  return (
    <form
      id="add"
      onSubmit={(event) => {
        event.preventDefault()
        if (title.trim() === '') return
        void onAdd(title).then((added) => {
          if (added) setTitle('')
        })
      }}
    >
      <input id="new-title" maxLength={MAX_TITLE} placeholder="What needs doing?" autoComplete="off" value={title} onChange={(event) => setTitle(event.target.value)} />
      <button>Add</button>
    </form>
  )
}
