import { ConnectionBadge } from '@org/example-kit/connection-badge'
import { RefusalBanner } from '@org/example-kit/refusal-banner'
import { useState, type ReactNode } from 'react'
import { AddTodoForm } from './add-todo-form.js'
import { TodoList } from './todo-list.js'
import { useTodoActions } from './use-todo-actions.js'
import { useTodos } from './use-todos.js'

/** One list: the connection, the form, what was refused, and the to-dos. */
export function TodoPage({ list }: { list: number }): ReactNode {
  // The latest refusal of one of this page's writes (cleared by the next that succeeds).
  const [refusal, setRefusal] = useState<unknown>()
  const actions = useTodoActions(list, setRefusal)
  const todos = useTodos(list)
  return (
    <>
      <h1>
        To-do <small id="list-name">list {list}</small>
      </h1>
      <ConnectionBadge />
      <AddTodoForm onAdd={actions.add} />
      <RefusalBanner id="error" error={refusal ?? todos.error} />
      <TodoList todos={todos} actions={actions} />
    </>
  )
}
