import type { ReactNode } from 'react'
import { TodoItem } from './todo-item.js'
import type { TodoActions } from './use-todo-actions.js'
import type { Todos } from './use-todos.js'

/** The to-dos, oldest first; its data attributes say how the list was last brought up to date. */
export function TodoList({ todos, actions }: { todos: Todos; actions: TodoActions }): ReactNode {
  return (
    <ul
      id="todos"
      data-count={todos.rows.length}
      data-loads={todos.loads}
      // Set once subscribed: whether what was missed while away was replayed (else the list was loaded again).
      data-recovered={todos.state === 'subscribed' ? String(todos.recovered) : undefined}
    >
      {todos.rows.map((todo) => (
        <TodoItem key={todo.id} todo={todo} actions={actions} />
      ))}
    </ul>
  )
}
