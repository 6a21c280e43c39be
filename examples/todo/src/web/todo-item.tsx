import { useState, type ReactNode } from 'react'
import { MAX_TITLE, type Todo } from '../todo.js'
import type { TodoActions } from './use-todo-actions.js'

/**
 * One to-do: its checkbox, its title (Enter renames) and a delete button. The inputs show the
 * row as the database has it: they are made again when it changes, and when a write of theirs
 * was refused (`resets`), so a refused edit does not stay on screen.
 */
export function TodoItem({ todo, actions }: { todo: Todo; actions: TodoActions }): ReactNode {
  const [resets, setResets] = useState(0)
  const undoIfRefused = (done: boolean): void => {
    if (!done) setResets((n) => n + 1)
  }
  return (
    <li data-id={todo.id} className={todo.done ? 'done' : undefined}>
      <input
        key={`done:${todo.done}:${resets}`}
        type="checkbox"
        className="toggle"
        defaultChecked={todo.done}
        onChange={() => void actions.toggle(todo.id).then(undoIfRefused)}
      />
      <input
        key={`title:${todo.title}:${resets}`}
        className="title"
        defaultValue={todo.title}
        maxLength={MAX_TITLE}
        onKeyDown={(event) => {
          const title = event.currentTarget.value
          if (event.key === 'Enter' && title.trim() !== '' && title !== todo.title) void actions.rename(todo.id, title).then(undoIfRefused)
        }}
      />
      <button className="delete" title="Delete" onClick={() => void actions.remove(todo.id)}>
        ×
      </button>
    </li>
  )
}
